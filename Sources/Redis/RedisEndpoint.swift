/// Where a Redis server listens, from a `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]` URL.
public struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// `AUTH` after connecting: a password alone (Redis before 6), or a user and a password (ACLs).
    public var user: String?
    public var password: String?
    /// `SELECT` after connecting. Pub/sub channels are global; keys and streams belong to a database.
    public var database: Int

    public init(host: String, port: Int = 6379, user: String? = nil, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    /// Why a URL is not a Redis endpoint; the description names the part at fault.
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// Parses `redis://HOST:PORT` and its variants (`redis://:secret@10.0.0.5:6380/2`).
    public init(url: String) throws(ParseError) {
        let scheme = "redis://"
        guard url.hasPrefix(scheme) else {
            throw ParseError(description: "'\(url)' is not a Redis URL: it must start with redis:// (redis://HOST:PORT)")
        }
        var rest = Substring(url.dropFirst(scheme.count))
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !path.isEmpty {
                guard let number = Int(path), number >= 0 else {
                    throw ParseError(description: "'\(url)': the database after the '/' must be a number (0 to 15 by default), not '\(path)'")
                }
                database = number
            }
        }
        var user: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let name = credentials[..<colon]
                user = name.isEmpty ? nil : Self.percentDecoded(name)
                password = Self.percentDecoded(credentials[credentials.index(after: colon)...])
            } else {
                // `redis://secret@host` is how some tools write a password alone.
                password = Self.percentDecoded(credentials)
            }
        }
        var host = rest
        var port = 6379
        if rest.hasPrefix("[") {
            // An IPv6 literal: `[::1]:6379`.
            guard let close = rest.firstIndex(of: "]") else {
                throw ParseError(description: "'\(url)': the IPv6 host has no closing ']'")
            }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else {
                    throw ParseError(description: "'\(url)': expected ':PORT' after the IPv6 host")
                }
                port = try Self.port(after.dropFirst(), url: url)
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            port = try Self.port(rest[rest.index(after: colon)...], url: url)
        }
        guard !host.isEmpty else {
            throw ParseError(description: "'\(url)' names no host (redis://HOST:PORT)")
        }
        self.init(host: String(host), port: port, user: user, password: password, database: database)
    }

    private static func port(_ text: Substring, url: String) throws(ParseError) -> Int {
        guard let port = Int(text), (1...65535).contains(port) else {
            throw ParseError(description: "'\(url)': the port must be a number from 1 to 65535, not '\(text)'")
        }
        return port
    }

    private static func percentDecoded(_ text: Substring) -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var index = text.utf8.startIndex
        let utf8 = text.utf8
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%"), let high = utf8.index(index, offsetBy: 1, limitedBy: utf8.endIndex),
               high < utf8.endIndex, let low = utf8.index(high, offsetBy: 1, limitedBy: utf8.endIndex),
               low < utf8.endIndex, let value = UInt8(String(decoding: [utf8[high], utf8[low]], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                index = utf8.index(after: low)
            } else {
                bytes.append(byte)
                index = utf8.index(after: index)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `redis://HOST:PORT/DB`, without the password.
    public var description: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        let credentials = self.password == nil ? "" : "\(self.user ?? ""):***@"
        return "redis://\(credentials)\(host):\(self.port)" + (self.database == 0 ? "" : "/\(self.database)")
    }
}
