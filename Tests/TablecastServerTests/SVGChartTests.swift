import Foundation
import Testing

@testable import TablecastServer

struct SVGChartTests {
    @Test(arguments: [
        (4512.0, [0.0, 1000, 2000, 3000, 4000, 5000]),
        (97, [0, 20, 40, 60, 80, 100]),
        (100, [0, 20, 40, 60, 80, 100]),
        (1, [0, 0.2, 0.4, 0.6, 0.8, 1]),
        (0.35, [0, 0.1, 0.2, 0.3, 0.4]),
        (7, [0, 2, 4, 6, 8]),
    ] as [(Double, [Double])])
    func niceTicksRunFromZeroToANiceValueAtOrAboveTheMaximum(maximum: Double, expected: [Double]) {
        let ticks = SVGChart.niceTicks(upTo: maximum)
        #expect(ticks.count == expected.count)
        for (tick, value) in zip(ticks, expected) {
            #expect(abs(tick - value) < 1e-9, "\(ticks)")
        }
    }

    @Test func niceStepsAreOneTwoOrFiveTimesAPowerOfTen() {
        #expect(SVGChart.niceStep(902.4) == 1000)
        #expect(SVGChart.niceStep(19.4) == 20)
        #expect(SVGChart.niceStep(3.1) == 5)
        #expect(SVGChart.niceStep(2) == 2)
        #expect(abs(SVGChart.niceStep(0.07) - 0.1) < 1e-12)
    }

    @Test func countsGetWholeTicksAndAnEmptyChartStillHasAnAxis() {
        #expect(SVGChart.niceTicks(upTo: 3, minimumStep: 1) == [0, 1, 2, 3])
        #expect(SVGChart.niceTicks(upTo: 0) == [0, 1])
        #expect(SVGChart.niceTicks(upTo: .nan) == [0, 1])
    }

    @Test func timeTicksAreWholeSecondsMinutesAndHours() {
        #expect(SVGChart.timeTicks(span: 3) == [0, 1, 2, 3])
        #expect(SVGChart.timeTicks(span: 180) == [0, 30, 60, 90, 120, 150, 180])
        #expect(SVGChart.timeTicks(span: 3600) == [0, 600, 1200, 1800, 2400, 3000, 3600])
        #expect(SVGChart.timeTicks(span: 95) == [0, 30, 60, 90])
    }

    @Test func offsetsAndClockTimesRead() {
        #expect(HTMLReport.offset(5) == "0:05")
        #expect(HTMLReport.offset(754.9) == "12:34")
        #expect(HTMLReport.offset(3725) == "1:02:05")
        #expect(HTMLReport.clock(1_795_694_405_000) == "12:00:05")  // 2026-11-26T12:00:05Z
        #expect(HTMLReport.count(4512) == "4,512")
        #expect(HTMLReport.count(-1_234_567) == "-1,234,567")
        #expect(HTMLReport.count(999) == "999")
        #expect(HTMLReport.decimal(4512.46, digits: 1) == "4,512.5")
        #expect(HTMLReport.milliseconds(micros: 1234) == "1.234 ms")
    }

    @Test func valuesScaleLinearlyOntoThePlotAndAreClamped() {
        let chart = SVGChart(id: "c", key: "k", label: "l", x: .seconds(span: 10), y: .values(upTo: 100))
        #expect(chart.xPosition(0) == SVGChart.left)
        #expect(chart.xPosition(10) == chart.width - SVGChart.right)
        #expect(abs(chart.xPosition(5) - (SVGChart.left + (chart.width - SVGChart.right - SVGChart.left) / 2)) < 1e-9)
        #expect(chart.yPosition(0) == chart.height - SVGChart.bottom)
        #expect(chart.yPosition(100) == SVGChart.top)
        #expect(chart.yPosition(1000) == SVGChart.top)
        #expect(chart.yPosition(-5) == chart.height - SVGChart.bottom)
        #expect(SVGChart.coordinate(12.345) == "12.3")
        #expect(SVGChart.coordinate(40) == "40")
        #expect(SVGChart.dataValue(4512) == "4512")
        #expect(SVGChart.dataValue(1.2346) == "1.235")
    }

    @Test func aLineChartCarriesItsValuesBreaksAtGapsAndEscapesText() {
        let chart = SVGChart(id: "chart-x", key: "x", label: "a <b> & c", x: .seconds(span: 3), y: .values(upTo: 5))
        let series = SVGChart.Series(key: "<script>", label: "p50", colour: "s1", values: [1, nil, 3])
        let svg = chart.lines([series], at: [1, 2, 3]) { index, series in "\(index) — \(series.key) \"quoted\"" }.markup
        #expect(svg.contains("<svg class=\"chart\" id=\"chart-x\" data-chart=\"x\""))
        #expect(svg.contains("aria-label=\"a &lt;b&gt; &amp; c\""))
        #expect(svg.contains("data-series=\"&lt;script&gt;\" data-values=\"1,,3\""))
        #expect(!svg.contains("<script"))
        #expect(svg.contains("<title>0 — &lt;script&gt; &quot;quoted&quot;</title>"))
        #expect(svg.components(separatedBy: "<circle").count - 1 == 2)
        // The line moves (M) at its start and again after the missing value.
        let path = svg.components(separatedBy: " d=\"")[1].prefix { $0 != "\"" }
        #expect(path.filter { $0 == "M" }.count == 2)
        #expect(!path.contains("L"))
        // Gridlines at 0…5, with their labels.
        for label in ["0", "1", "2", "3", "4", "5"] {
            #expect(svg.contains("dominant-baseline=\"middle\">\(label)</text>"))
        }
        #expect(svg.contains("text-anchor=\"middle\">0:03</text>"))
    }

    @Test func stackedAreasStackAndGiveEachBucketItsTotal() {
        let chart = SVGChart(id: "t", key: "t", label: "t", x: .seconds(span: 2), y: .values(upTo: 10, minimumStep: 1))
        let series = [
            SVGChart.Series(key: "a", label: "a", colour: "s1", values: [1, 2]),
            SVGChart.Series(key: "b", label: "b", colour: "s2", values: [3, 8]),
        ]
        let overlays = [
            SVGChart.Overlay(shape: .span(from: 0.5, to: 1.5), cssClass: "marker-gap", title: "gap <x>",
                             attributes: "data-kind=\"gap\""),
            SVGChart.Overlay(shape: .mark(at: 1), cssClass: "marker-fault", title: "fault"),
        ]
        let svg = chart.stackedAreas(series, starts: [0, 1], width: 1, overlays: overlays) { "bucket \($0)" }.markup
        #expect(svg.contains("class=\"area stacked s1\" data-series=\"a\" data-values=\"1,2\""))
        #expect(svg.contains("class=\"area stacked s2\" data-series=\"b\" data-values=\"3,8\""))
        #expect(svg.contains("data-bucket=\"0\" data-total=\"4\"><title>bucket 0</title>"))
        #expect(svg.contains("data-bucket=\"1\" data-total=\"10\"><title>bucket 1</title>"))
        #expect(svg.contains("<rect class=\"marker-gap\""))
        #expect(svg.contains("data-kind=\"gap\"><title>gap &lt;x&gt;</title>"))
        #expect(svg.contains("<line class=\"marker-fault\""))
        // The second bucket's top is the top of the plot (10 of 10), its first's at 4 of 10.
        let top = SVGChart.coordinate(chart.yPosition(10))
        let four = SVGChart.coordinate(chart.yPosition(4))
        let b = svg.components(separatedBy: "data-series=\"b\"")[1]
        #expect(b.contains(" \(four)L") && b.contains(" \(top)L"))
    }

    @Test func interpolatedTextIsEscapedAndMarkupIsNot() {
        let name = "<script>alert('x') & \"y\"</script>"
        let html: HTML = "<td>\(name)</td>\(HTML(raw: "<b>"))"
        #expect(html.markup == "<td>&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;</td><b>")
    }

    @Test func jsonInAScriptBlockCannotEndIt() {
        let json = #"{"name":"</script><script>alert(1)</script> & <!--"}"#
        let safe = HTMLReport.scriptJSON(json)
        #expect(!safe.contains("<") && !safe.contains(">") && !safe.contains("&"))
        let decoded = try? JSONSerialization.jsonObject(with: Data(safe.utf8)) as? [String: String]
        #expect(decoded?["name"] == "</script><script>alert(1)</script> & <!--")
    }

    @Test func aPageIsSelfContained() {
        let page = HTMLReport(title: "t <1>", kind: "load", meta: "m", sections: ["<p>x</p>"], dataJSON: "{}").render()
        #expect(page.hasPrefix("<!doctype html>"))
        #expect(page.contains("<meta charset=\"utf-8\">"))
        #expect(page.contains("<meta name=\"viewport\""))
        #expect(page.contains("<title>t &lt;1&gt;</title>"))
        #expect(page.contains("--series-1"))  // the stylesheet, inline
        #expect(page.contains("<span class=\"logo\">tablecast</span>"))
        #expect(page.contains("<script type=\"application/json\" id=\"report-data\">{}</script>"))
        #expect(!page.contains("<link") && !page.contains("src=") && !page.contains("href="))
    }
}
