/// A piece of HTML (or inline SVG) markup whose interpolated text is escaped: `"<td>\(name)</td>"` puts `name` in as
/// text, whatever it holds, and only another `HTML` value goes in as markup.
///
/// The reports show names from recorded journals, which anyone could have emitted: escaping at the one place text
/// becomes markup means no call site can forget it.
struct HTML: Sendable, Equatable, CustomStringConvertible, ExpressibleByStringInterpolation {
    private(set) var markup: String

    /// Markup as it is: for literals and already built markup only.
    init(raw markup: String) {
        self.markup = markup
    }

    init(stringLiteral value: String) {
        self.markup = value
    }

    init(stringInterpolation: StringInterpolation) {
        self.markup = stringInterpolation.markup
    }

    var description: String { self.markup }

    static func + (lhs: HTML, rhs: HTML) -> HTML {
        HTML(raw: lhs.markup + rhs.markup)
    }

    static func += (lhs: inout HTML, rhs: HTML) {
        lhs.markup += rhs.markup
    }

    /// Text as HTML: `&`, `<`, `>`, `"` and `'` as character references, so it is safe in content and in quoted
    /// attribute values alike.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    struct StringInterpolation: StringInterpolationProtocol {
        var markup = ""

        init(literalCapacity: Int, interpolationCount: Int) {
            self.markup.reserveCapacity(literalCapacity + interpolationCount * 8)
        }

        mutating func appendLiteral(_ literal: String) {
            self.markup += literal
        }

        /// Text: escaped.
        mutating func appendInterpolation(_ text: String) {
            self.markup += HTML.escape(text)
        }

        /// Markup: as it is.
        mutating func appendInterpolation(_ html: HTML) {
            self.markup += html.markup
        }

        /// Markup pieces, one after the other.
        mutating func appendInterpolation(_ pieces: [HTML]) {
            for piece in pieces {
                self.markup += piece.markup
            }
        }

        mutating func appendInterpolation(_ value: Int) {
            self.markup += String(value)
        }

        mutating func appendInterpolation(_ value: Int64) {
            self.markup += String(value)
        }
    }
}

extension [HTML] {
    func joined() -> HTML {
        HTML(raw: self.map(\.markup).joined())
    }
}
