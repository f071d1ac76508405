import DashboardAssets
import Foundation

/// The page both HTML reports (`load --report`, `journal report`) are built in: one self-contained file with the
/// dashboard's stylesheet inlined, its figures drawn as inline SVG, and its raw figures as a JSON block, so that it
/// opens anywhere, offline, without JavaScript.
///
/// Stable hooks for browser tests: `body[data-report]` names the report, `#report-data` holds the figures, and each
/// chart, series, statistic and table carries an `id` or a `data-` attribute named in the report that builds it.
struct HTMLReport {
    /// The page's title, and what the top bar says after the brand.
    var title: String
    /// `load` or `journal`: the `data-report` attribute of `<body>`.
    var kind: String
    /// What the top bar shows on its right: what the report is of.
    var meta: String
    /// The page's sections, in order.
    var sections: [HTML] = []
    /// The report's figures as one JSON value, embedded as `<script type="application/json" id="report-data">`.
    var dataJSON: String

    /// Rules the reports need beyond the shared stylesheet: hover targets on charts.
    static let reportStyle = """
        .chart .point { fill-opacity: 0; stroke: none; }
        .chart .point:hover { fill-opacity: 1; }
        .chart .hit { fill: var(--text); fill-opacity: 0; }
        .chart .hit:hover { fill-opacity: 0.07; }
        .chart .area.stacked { opacity: 0.8; stroke: none; }
        .chart line.tick { stroke-dasharray: none; stroke-width: 2; }
        .badge.verdict { font-size: 14px; padding: 3px 14px; }
        .card > h2 { margin-bottom: 10px; }
        """

    /// The whole page.
    func render() -> String {
        let page: HTML = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(self.title)</title>
            <style>
            \(HTML(raw: DashboardAssets.stylesheet))
            \(HTML(raw: Self.reportStyle))
            </style>
            </head>
            <body data-report="\(self.kind)">
            <header class="topbar">
            <div class="brand"><span class="logo">tablecast</span><h1>\(self.title)</h1></div>
            <span class="spacer"></span>
            <span class="meta" id="report-meta">\(self.meta)</span>
            </header>
            <main>
            \(self.sections.map { $0 + "\n" })</main>
            <footer class="page-footer">written by tablecast \(tablecastVersion)</footer>
            <script type="application/json" id="report-data">\(HTML(raw: Self.scriptJSON(self.dataJSON)))</script>
            </body>
            </html>

            """
        return page.markup
    }

    /// Writes `page` to `path`, replacing what is there.
    /// - Throws: ``JournalTools/Problem`` naming the path and the system's reason when it cannot be written.
    static func save(_ page: String, to path: String) throws {
        let problem = { (reason: String) in
            JournalTools.Problem(description: "cannot write the report to '\(path)': \(reason)")
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw problem(String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var bytes = Array(page.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                guard errno == EINTR else { throw problem(String(cString: strerror(errno))) }
                continue
            }
            bytes = bytes.dropFirst(written)
        }
    }

    /// Whether a report could be written at `path`, checked before long work so that it is not lost at the end:
    /// `nil` when it looks writable, the reason otherwise.
    static func unwritableReason(_ path: String) -> String? {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        if files.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { return "it is a directory" }
            return files.isWritableFile(atPath: path) ? nil : "permission denied"
        }
        let directory = (path as NSString).deletingLastPathComponent
        let parent = directory.isEmpty ? "." : directory
        guard files.fileExists(atPath: parent, isDirectory: &isDirectory) else { return "no directory '\(parent)'" }
        guard isDirectory.boolValue else { return "'\(parent)' is not a directory" }
        return files.isWritableFile(atPath: parent) ? nil : "permission denied in '\(parent)'"
    }

    /// JSON made safe inside `<script>`: `<`, `>` and `&` (only ever inside strings in JSON) as `\u003c`, `\u003e`
    /// and `\u0026`, so that a name holding `</script>` or `<!--` cannot end or change the block; U+2028 and U+2029
    /// escaped too, as older parsers required.
    static func scriptJSON(_ json: String) -> String {
        var safe = ""
        safe.unicodeScalars.reserveCapacity(json.unicodeScalars.count)
        for scalar in json.unicodeScalars {
            switch scalar {
            case "<": safe += "\\u003c"
            case ">": safe += "\\u003e"
            case "&": safe += "\\u0026"
            case "\u{2028}": safe += "\\u2028"
            case "\u{2029}": safe += "\\u2029"
            default: safe.unicodeScalars.append(scalar)
            }
        }
        return safe
    }

    // MARK: Pieces

    /// A statistic: its label, its value (`id` on the value, with the exact figure as `data-value`), and a line under it.
    static func stat(id: String, label: String, value: String, data: String, sub: String? = nil,
                     tone: String? = nil) -> HTML {
        let toneClass = tone.map { " \($0)" } ?? ""
        let subline: HTML = sub.map { "<div class=\"stat-sub\">\($0)</div>" } ?? ""
        return """
            <div class="card stat" data-stat="\(id)"><div class="stat-label">\(label)</div>\
            <div class="stat-value\(toneClass)" id="stat-\(id)" data-value="\(data)">\(value)</div>\(subline)</div>
            """
    }

    /// A table cell: text, numeric (right-aligned, tabular figures) or markup.
    enum Cell {
        case text(String)
        case number(String)
        case code(String)
        case markup(HTML)
    }

    /// A table: headers (a `#` prefix marks a numeric column), one row per entry; `rowData` adds attributes to rows.
    static func table(id: String, headers: [String], rows: [[Cell]], rowData: [HTML] = []) -> HTML {
        let head: [HTML] = headers.map { header in
            header.hasPrefix("#") ? "<th class=\"num\">\(String(header.dropFirst()))</th>" : "<th>\(header)</th>"
        }
        let body: [HTML] = rows.enumerated().map { index, row in
            let cells: [HTML] = row.map { cell in
                switch cell {
                case .text(let text): "<td>\(text)</td>"
                case .number(let text): "<td class=\"num\">\(text)</td>"
                case .code(let text): "<td><code>\(text)</code></td>"
                case .markup(let html): "<td>\(html)</td>"
                }
            }
            let data = index < rowData.count ? " " + rowData[index] : ""
            return "<tr\(data)>\(cells)</tr>\n"
        }
        return "<table id=\"\(id)\">\n<thead><tr>\(head)</tr></thead>\n<tbody>\n\(body)</tbody>\n</table>"
    }

    /// Name–value pairs, each value with `data-field`.
    static func pairs(id: String, wide: Bool = false, _ pairs: [(field: String, label: String, value: String)]) -> HTML {
        let items: [HTML] = pairs.map { pair in
            "<dt>\(pair.label)</dt><dd data-field=\"\(pair.field)\">\(pair.value)</dd>\n"
        }
        return "<dl class=\"pairs\(wide ? " wide" : "")\" id=\"\(id)\">\n\(items)</dl>"
    }

    // MARK: Formatting

    /// `4,512`.
    static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 {
                grouped += ","
            }
            grouped.append(digit)
        }
        return (value < 0 ? "-" : "") + grouped
    }

    /// A figure with `digits` decimals and thousands grouped: `4,512.5`.
    static func decimal(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return "–" }
        let text = String(format: "%.\(digits)f", abs(value))
        let parts = text.split(separator: ".", maxSplits: 1)
        let whole = Self.count(Int(parts[0]) ?? 0)
        let sign = value < 0 && text.contains(where: { $0 != "0" && $0 != "." }) ? "-" : ""
        return sign + whole + (parts.count > 1 ? "." + parts[1] : "")
    }

    /// Microseconds as milliseconds: `1.234 ms`.
    static func milliseconds(micros: Int) -> String {
        Self.decimal(Double(micros) / 1000, digits: micros < 10_000 ? 3 : micros < 1_000_000 ? 1 : 0) + " ms"
    }

    /// `12:00:05` (UTC) for wall-clock milliseconds.
    static func clock(_ millis: Int64) -> String {
        let seconds = (millis / 1000 % 86_400 + 86_400) % 86_400
        return "\(Self.two(seconds / 3600)):\(Self.two(seconds / 60 % 60)):\(Self.two(seconds % 60))"
    }

    /// An offset in seconds as `m:ss`, or `h:mm:ss` from an hour on; fractions of a second are dropped.
    static func offset(_ seconds: Double) -> String {
        let whole = Int64(max(0, seconds).rounded(.down))
        if whole >= 3600 {
            return "\(whole / 3600):\(Self.two(whole / 60 % 60)):\(Self.two(whole % 60))"
        }
        return "\(whole / 60):\(Self.two(whole % 60))"
    }

    private static func two(_ value: Int64) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
