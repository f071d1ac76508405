import Foundation

/// Line and stacked-area charts as inline SVG, for the HTML reports: a fixed `viewBox` that CSS scales to the card's
/// width (`class="chart"`), gridlines at nice values, tick labels, and the stylesheet's series classes.
///
/// Each chart carries `data-chart`, each series `data-series` and its values as `data-values` (comma-separated, in
/// x order), and each point or bucket a `<title>` tooltip, so that a reader (or a browser test) finds the run's exact
/// numbers behind every mark.
struct SVGChart {
    /// One axis: what it spans, where it has gridlines and how their values read.
    struct Axis {
        var domain: ClosedRange<Double>
        var ticks: [Double]
        var label: (Double) -> String

        /// An axis from 0 to the nice tick at or above `maximum`.
        static func values(upTo maximum: Double, minimumStep: Double = 0, label: ((Double) -> String)? = nil) -> Axis {
            let ticks = SVGChart.niceTicks(upTo: maximum, minimumStep: minimumStep)
            let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
            return Axis(domain: 0...(ticks.last ?? 1), ticks: ticks,
                        label: label ?? { SVGChart.tickLabel($0, step: step) })
        }

        /// An axis of seconds from 0 to `span`, labelled `m:ss`.
        static func seconds(span: Double, label: ((Double) -> String)? = nil) -> Axis {
            let span = max(span, 1)
            return Axis(domain: 0...span, ticks: SVGChart.timeTicks(span: span),
                        label: label ?? { HTMLReport.offset($0) })
        }
    }

    /// One series: its key (`data-series`), its legend label, its colour class (`s1`…`s8`) and one value per x;
    /// `nil` where it has none (a line breaks there).
    struct Series {
        var key: String
        var label: String
        var colour: String
        var values: [Double?]
    }

    /// Something drawn over a chart: a shaded span or a vertical mark, at x values.
    struct Overlay {
        enum Shape {
            case span(from: Double, to: Double)
            /// A line across the plot.
            case mark(at: Double)
            /// A short line in the strip above the plot, for marks too many to cross it.
            case tick(at: Double)
        }

        var shape: Shape
        /// `marker-gap`, `marker-fault`.
        var cssClass: String
        var title: String
        /// Further attributes, already formatted: `data-kind="gap"`.
        var attributes: HTML = ""
    }

    static let left = 62.0
    static let right = 14.0
    /// Room for the tick strip above the plot.
    static let top = 14.0
    static let bottom = 24.0

    var id: String
    /// `data-chart`.
    var key: String
    /// What the chart shows, for screen readers (`aria-label`).
    var label: String
    var x: Axis
    var y: Axis
    /// The view box: text keeps its size relative to it, so a chart meant to fill a page's width is wider.
    var width = 720.0
    var height = 240.0
    /// Further attributes of the `<svg>`, already formatted: `data-bucket-ms="1000"`.
    var attributes: HTML = ""

    // MARK: Scales

    /// The x coordinate of `value`, within the plot.
    func xPosition(_ value: Double) -> Double {
        Self.scale(value, from: self.x.domain, to: Self.left...(self.width - Self.right))
    }

    /// The y coordinate of `value`: the domain's bottom at the plot's bottom.
    func yPosition(_ value: Double) -> Double {
        self.height - Self.bottom - Self.scale(value, from: self.y.domain, to: 0...(self.height - Self.bottom - Self.top))
    }

    /// `value` mapped linearly from `domain` onto `range`, clamped to it.
    static func scale(_ value: Double, from domain: ClosedRange<Double>, to range: ClosedRange<Double>) -> Double {
        let extent = domain.upperBound - domain.lowerBound
        guard extent > 0, value.isFinite else { return range.lowerBound }
        let fraction = min(1, max(0, (value - domain.lowerBound) / extent))
        return range.lowerBound + fraction * (range.upperBound - range.lowerBound)
    }

    // MARK: Ticks

    /// The step of 1, 2 or 5 × 10^n at or above `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let fraction = raw / magnitude
        // A hair of tolerance, so that 2.0000000001 (a float's 2) stays 2.
        let nice: Double = fraction <= 1.000_001 ? 1 : fraction <= 2.000_001 ? 2 : fraction <= 5.000_001 ? 5 : 10
        return nice * magnitude
    }

    /// Gridline values from 0 to the first multiple of a nice step at or above `maximum`, about `count` of them.
    /// - Parameter minimumStep: the smallest step (1 for counts, which have no fractions).
    static func niceTicks(upTo maximum: Double, count: Int = 5, minimumStep: Double = 0) -> [Double] {
        guard maximum > 0, maximum.isFinite else { return [0, max(1, minimumStep)] }
        let step = max(Self.niceStep(maximum / Double(max(1, count))), minimumStep)
        let steps = Int((maximum / step - 1e-9).rounded(.up))
        return (0...max(1, steps)).map { Double($0) * step }
    }

    /// Steps for a time axis, in seconds: whole seconds, minutes and hours that read well.
    static let timeSteps: [Double] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
                                      43200, 86400]

    /// Gridline values for `span` seconds: multiples of a time step, about `count` of them, from 0 to at most `span`.
    static func timeTicks(span: Double, count: Int = 6) -> [Double] {
        guard span > 0, span.isFinite else { return [0] }
        let raw = span / Double(max(1, count))
        let step = Self.timeSteps.first { $0 >= raw } ?? Self.niceStep(raw / 86400) * 86400
        let steps = Int((span / step + 1e-9).rounded(.down))
        return (0...steps).map { Double($0) * step }
    }

    /// A tick value with as many decimals as its step needs, thousands grouped: `5,000`, `0.25`.
    static func tickLabel(_ value: Double, step: Double) -> String {
        let decimals = step >= 1 ? 0 : min(6, Int((-log10(step)).rounded(.up)))
        return HTMLReport.decimal(value, digits: decimals)
    }

    /// A figure for `data-values`: an integer when it is one, otherwise at most three decimals.
    static func dataValue(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 {
            return String(Int64(value))
        }
        var text = String(format: "%.3f", value)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    /// A coordinate with one decimal: enough on a 720-wide view box, and short.
    static func coordinate(_ value: Double) -> String {
        let tenths = Int64((value * 10).rounded())
        let whole = tenths / 10
        let fraction = abs(tenths % 10)
        let sign = tenths < 0 && whole == 0 ? "-" : ""
        return fraction == 0 ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
    }

    // MARK: Charts

    /// A line per series through its values at `xs`, with a point per value whose tooltip `title(index, series)` gives.
    func lines(_ series: [Series], at xs: [Double], title: (Int, Series) -> String) -> HTML {
        var content: HTML = ""
        for line in series {
            var path = ""
            var pendingMove = true
            var points: [HTML] = []
            for (index, x) in xs.enumerated() {
                guard index < line.values.count, let value = line.values[index] else {
                    pendingMove = true
                    continue
                }
                let (px, py) = (Self.coordinate(self.xPosition(x)), Self.coordinate(self.yPosition(value)))
                path += (pendingMove ? "M" : "L") + px + " " + py
                pendingMove = false
                points.append("""
                    <circle class="point \(line.colour)" cx="\(px)" cy="\(py)" r="3" data-index="\(index)" \
                    data-value="\(Self.dataValue(value))"><title>\(title(index, line))</title></circle>
                    """)
            }
            let values = line.values.map { $0.map(Self.dataValue) ?? "" }.joined(separator: ",")
            content += """
                <g class="series" data-series="\(line.key)" data-values="\(values)">\
                <path class="line \(line.colour)" d="\(path)"></path>\(points)</g>

                """
        }
        return self.frame(content)
    }

    /// Series stacked on one another as step areas over buckets `[starts[i], starts[i] + width)`, each value the
    /// bucket's count; a transparent column per bucket carries its tooltip, `title(index)`, and its total as
    /// `data-total`; overlays are drawn on top of all.
    func stackedAreas(_ series: [Series], starts: [Double], width: Double, overlays: [Overlay] = [],
                      title: (Int) -> String) -> HTML {
        var content: HTML = ""
        var below = [Double](repeating: 0, count: starts.count)
        for layer in series {
            var above = below
            for index in starts.indices where index < layer.values.count {
                above[index] += layer.values[index] ?? 0
            }
            var path = ""
            for (index, start) in starts.enumerated() {
                let y = Self.coordinate(self.yPosition(above[index]))
                path += (index == 0 ? "M" : "L") + Self.coordinate(self.xPosition(start)) + " " + y
                path += "L" + Self.coordinate(self.xPosition(start + width)) + " " + y
            }
            for (index, start) in starts.enumerated().reversed() {
                let y = Self.coordinate(self.yPosition(below[index]))
                path += "L" + Self.coordinate(self.xPosition(start + width)) + " " + y
                path += "L" + Self.coordinate(self.xPosition(start)) + " " + y
            }
            let values = starts.indices.map { index in
                Self.dataValue(index < layer.values.count ? layer.values[index] ?? 0 : 0)
            }.joined(separator: ",")
            content += """
                <path class="area stacked \(layer.colour)" data-series="\(layer.key)" data-values="\(values)" \
                d="\(starts.isEmpty ? "" : path + "Z")"><title>\(layer.label)</title></path>

                """
            below = above
        }
        let plotTop = Self.coordinate(Self.top)
        let plotHeight = Self.coordinate(self.height - Self.top - Self.bottom)
        for (index, start) in starts.enumerated() {
            let x0 = self.xPosition(start)
            let x1 = self.xPosition(start + width)
            content += """
                <rect class="hit" x="\(Self.coordinate(x0))" y="\(plotTop)" width="\(Self.coordinate(max(0.5, x1 - x0)))" \
                height="\(plotHeight)" data-bucket="\(index)" data-total="\(Self.dataValue(below[index]))">\
                <title>\(title(index))</title></rect>

                """
        }
        // Over the columns, so that their own tooltips show.
        for overlay in overlays {
            content += self.overlay(overlay)
        }
        return self.frame(content)
    }

    private func overlay(_ overlay: Overlay) -> HTML {
        let top = Self.coordinate(Self.top)
        let bottom = Self.coordinate(self.height - Self.bottom)
        switch overlay.shape {
        case .span(let from, let to):
            let x0 = self.xPosition(from)
            let x1 = self.xPosition(max(from, to))
            return """
                <rect class="\(overlay.cssClass)" x="\(Self.coordinate(x0))" y="\(top)" \
                width="\(Self.coordinate(max(1, x1 - x0)))" height="\(Self.coordinate(self.height - Self.top - Self.bottom))" \
                \(overlay.attributes)><title>\(overlay.title)</title></rect>

                """
        case .mark(let at):
            let x = Self.coordinate(self.xPosition(at))
            return """
                <line class="\(overlay.cssClass)" x1="\(x)" x2="\(x)" y1="\(top)" y2="\(bottom)" \(overlay.attributes)>\
                <title>\(overlay.title)</title></line>

                """
        case .tick(let at):
            let x = Self.coordinate(self.xPosition(at))
            return """
                <line class="\(overlay.cssClass) tick" x1="\(x)" x2="\(x)" y1="1" y2="\(Self.coordinate(Self.top - 2))" \
                \(overlay.attributes)><title>\(overlay.title)</title></line>

                """
        }
    }

    /// The `<svg>` around `content`: gridlines and labels on both axes.
    private func frame(_ content: HTML) -> HTML {
        var grid: HTML = ""
        let left = Self.coordinate(Self.left)
        let right = Self.coordinate(self.width - Self.right)
        for tick in self.y.ticks {
            let y = Self.coordinate(self.yPosition(tick))
            grid += """
                <line class="grid-line" x1="\(left)" x2="\(right)" y1="\(y)" y2="\(y)"></line>\
                <text class="axis-label" x="\(Self.coordinate(Self.left - 6))" y="\(y)" text-anchor="end" \
                dominant-baseline="middle">\(self.y.label(tick))</text>

                """
        }
        let top = Self.coordinate(Self.top)
        let bottom = Self.coordinate(self.height - Self.bottom)
        for tick in self.x.ticks {
            let x = Self.coordinate(self.xPosition(tick))
            grid += """
                <line class="grid-line" x1="\(x)" x2="\(x)" y1="\(top)" y2="\(bottom)"></line>\
                <text class="axis-label" x="\(x)" y="\(Self.coordinate(self.height - 6))" text-anchor="middle">\
                \(self.x.label(tick))</text>

                """
        }
        grid += "<line class=\"axis-line\" x1=\"\(left)\" x2=\"\(right)\" y1=\"\(bottom)\" y2=\"\(bottom)\"></line>\n"
        return """
            <svg class="chart" id="\(self.id)" data-chart="\(self.key)" viewBox="0 0 \(Int(self.width)) \(Int(self.height))" \
            role="img" aria-label="\(self.label)"\(self.attributes.markup.isEmpty ? "" : " " + self.attributes)>
            \(grid)\(content)</svg>
            """
    }

    /// The legend of `series` (each entry with `data-series`), and any further entries.
    static func legend(for key: String, _ series: [Series], extra: [HTML] = []) -> HTML {
        let entries: [HTML] = series.map { series in
            "<span data-series=\"\(series.key)\"><span class=\"swatch \(series.colour)\"></span>\(series.label)</span>"
        }
        return "<div class=\"legend\" data-legend=\"\(key)\">\(entries)\(extra)</div>"
    }
}
