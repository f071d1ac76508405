import Foundation
import Yams

/// A mistake in a configuration file (a restaurant definition, a scenario), placed exactly: file, line, field.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    /// The file, as the user named it.
    public var path: String
    /// The 1-based line, when known.
    public var line: Int?
    /// The field's path, such as `tables[3].seats`, when the problem belongs to one.
    public var field: String?
    public var message: String

    public init(path: String, line: Int?, field: String?, message: String) {
        self.path = path
        self.line = line
        self.field = field
        self.message = message
    }

    /// `restaurant.yaml:12: tables[3].seats: expected an integer, found "four"`.
    public var description: String {
        var text = self.path
        if let line = self.line {
            text += ":\(line)"
        }
        text += ": "
        if let field = self.field, !field.isEmpty {
            text += "\(field): "
        }
        return text + self.message
    }
}

/// A YAML value that remembers where it came from, so that every error names the file, the line and the field.
struct YAMLValue {
    let node: Node
    let path: String
    let field: String

    /// Parses a whole YAML text.
    static func parse(_ text: String, path: String) throws(ConfigurationError) -> YAMLValue {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw Self.describe(error, path: path)
        } catch {
            throw ConfigurationError(path: path, line: nil, field: nil, message: "\(error)")
        }
        guard let node else {
            throw ConfigurationError(path: path, line: 1, field: nil, message: "the file is empty")
        }
        return YAMLValue(node: node, path: path, field: "")
    }

    /// Reads and parses a file.
    static func load(path: String) throws(ConfigurationError) -> YAMLValue {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(path: path, line: nil, field: nil, message: "cannot read the file: \(error)")
        }
        return try Self.parse(text, path: path)
    }

    private static func describe(_ error: YamlError, path: String) -> ConfigurationError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return ConfigurationError(path: path, line: mark.line, field: nil, message: "invalid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigurationError(path: path, line: context.mark.line, field: nil,
                                      message: "duplicate keys: \(duplicates.joined(separator: ", "))")
        default:
            return ConfigurationError(path: path, line: nil, field: nil, message: "invalid YAML: \(error)")
        }
    }

    var line: Int? { self.node.mark?.line }

    func error(_ message: String) -> ConfigurationError {
        ConfigurationError(path: self.path, line: self.line, field: self.field, message: message)
    }

    private func child(_ node: Node, field: String) -> YAMLValue {
        YAMLValue(node: node, path: self.path, field: field)
    }

    /// What the node is, for error messages: `"four"`, `a mapping`, `a list`.
    var kindDescription: String {
        switch self.node {
        case .scalar(let scalar): "\"\(scalar.string)\""
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    /// The entries of a mapping, refusing keys outside `allowed`.
    func mapping(allowed: Set<String>) throws(ConfigurationError) -> [String: YAMLValue] {
        guard case .mapping(let mapping) = self.node else {
            throw self.error("expected a mapping, found \(self.kindDescription)")
        }
        var entries: [String: YAMLValue] = [:]
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                throw self.child(key, field: self.field).error("keys must be plain names")
            }
            let name = scalar.string
            let field = self.field.isEmpty ? name : "\(self.field).\(name)"
            guard allowed.contains(name) else {
                let expected = allowed.sorted().joined(separator: ", ")
                throw self.child(key, field: field).error("unknown field; expected one of: \(expected)")
            }
            entries[name] = self.child(value, field: field)
        }
        return entries
    }

    /// The items of a list.
    func sequence() throws(ConfigurationError) -> [YAMLValue] {
        guard case .sequence(let sequence) = self.node else {
            throw self.error("expected a list, found \(self.kindDescription)")
        }
        return sequence.enumerated().map { index, node in self.child(node, field: "\(self.field)[\(index)]") }
    }

    func string() throws(ConfigurationError) -> String {
        guard case .scalar(let scalar) = self.node else {
            throw self.error("expected a text value, found \(self.kindDescription)")
        }
        return scalar.string
    }

    func int() throws(ConfigurationError) -> Int {
        guard case .scalar(let scalar) = self.node, let value = Int(scalar.string) else {
            throw self.error("expected an integer, found \(self.kindDescription)")
        }
        return value
    }

    func double() throws(ConfigurationError) -> Double {
        guard case .scalar(let scalar) = self.node, let value = Double(scalar.string), value.isFinite else {
            throw self.error("expected a number, found \(self.kindDescription)")
        }
        return value
    }

    func bool() throws(ConfigurationError) -> Bool {
        guard case .scalar(let scalar) = self.node else {
            throw self.error("expected true or false, found \(self.kindDescription)")
        }
        switch scalar.string {
        case "true": return true
        case "false": return false
        default: throw self.error("expected true or false, found \(self.kindDescription)")
        }
    }
}

extension Dictionary where Key == String, Value == YAMLValue {
    /// The value of a required field, or an error at the mapping's own line.
    func required(_ name: String, in parent: YAMLValue) throws(ConfigurationError) -> YAMLValue {
        guard let value = self[name] else {
            let field = parent.field.isEmpty ? name : "\(parent.field).\(name)"
            throw ConfigurationError(path: parent.path, line: parent.line, field: field, message: "missing field")
        }
        return value
    }
}
