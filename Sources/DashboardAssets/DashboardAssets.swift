/// The dashboard's files, embedded in the binary from `Assets/` (their readable source): the page at `/`, its
/// stylesheet (which the HTML reports inline too) and its JavaScript modules. Nothing is read from disk at run time,
/// so the dashboard works from any directory and offline.
public enum DashboardAssets {
    /// One file as served.
    public struct Asset: Sendable {
        public var name: String
        public var contentType: String
        public var bytes: [UInt8]
        /// A strong validator for `If-None-Match`: the content's FNV-1a hash.
        public var etag: String

        init(_ name: String, _ bytes: [UInt8]) {
            self.name = name
            self.bytes = bytes
            self.contentType = Self.contentType(of: name)
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in bytes {
                hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
            }
            self.etag = "\"" + String(hash, radix: 16) + "\""
        }

        static func contentType(of name: String) -> String {
            switch name.split(separator: ".").last {
            case "html": "text/html; charset=utf-8"
            case "css": "text/css; charset=utf-8"
            case "js": "text/javascript; charset=utf-8"
            case "svg": "image/svg+xml"
            default: "application/octet-stream"
            }
        }
    }

    /// Every file by name, as the page refers to them (`/dashboard/<name>`).
    public static let all: [String: Asset] = {
        let files: [(String, [UInt8])] = [
            ("index.html", PackageResources.index_html),
            ("tablecast.css", PackageResources.tablecast_css),
            ("favicon.svg", PackageResources.favicon_svg),
            ("app.js", PackageResources.app_js),
            ("api.js", PackageResources.api_js),
            ("charts.js", PackageResources.charts_js),
            ("panels.js", PackageResources.panels_js),
            ("schema.js", PackageResources.schema_js),
            ("stream.js", PackageResources.stream_js),
        ]
        return Dictionary(uniqueKeysWithValues: files.map { ($0.0, Asset($0.0, $0.1)) })
    }()

    /// The shared stylesheet's text, for the reports to inline.
    public static var stylesheet: String {
        String(decoding: PackageResources.tablecast_css, as: UTF8.self)
    }

    /// The page at `/`.
    public static var index: Asset { Self.all["index.html"]! }
}
