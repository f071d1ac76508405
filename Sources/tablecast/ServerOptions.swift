import ArgumentParser
import Foundation
import Logging
import TablecastServer

#if canImport(Glibc)
import Glibc
#endif

/// Options every server command shares.
struct ServerOptions: ParsableArguments {
    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on; 0 picks a free port (printed on start).")
    var port = 4000

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(help: "The time a connection has to send a request head, and then its body (e.g. 10s, 500ms); 408 after.")
    var requestHeadTimeout = "10s"

    @Option(help: "The time a keep-alive HTTP connection may sit idle between requests before it is closed.")
    var idleTimeout = "60s"

    @Option(help: """
        The most connections open at once; beyond it a connection is answered 503. Default: the descriptor limit \
        (raised to its hard limit at start) less 64.
        """)
    var maxConnections: Int?

    @Option(help: "On SIGTERM or SIGINT, how long connections get to finish before they are closed.")
    var shutdownTimeout = "10s"

    @Option(help: ArgumentHelp(
        "The bearer token every /_tablecast/* route but GET /_tablecast/health needs.",
        discussion: "Also read from TABLECAST_CONTROL_TOKEN; the option wins.",
        valueName: "token"
    ))
    var controlToken: String?

    @Option(help: ArgumentHelp("A PEM certificate (chain): the server speaks https:// and wss:// only.", valueName: "pem"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("The certificate's PEM private key.", valueName: "pem"))
    var tlsKey: String?

    /// The control token: the option's, or the environment's.
    var resolvedControlToken: String? {
        if let token = self.controlToken { return token }
        let environment = ProcessInfo.processInfo.environment["TABLECAST_CONTROL_TOKEN"]
        return environment?.isEmpty == false ? environment : nil
    }

    func validate() throws {
        guard (0...65535).contains(self.port) else {
            throw ValidationError("--port must be between 0 and 65535, got \(self.port)")
        }
        let durations = [
            ("--request-head-timeout", self.requestHeadTimeout),
            ("--idle-timeout", self.idleTimeout),
            ("--shutdown-timeout", self.shutdownTimeout),
        ]
        for (name, value) in durations where CommandLineUnits.duration(value) == nil {
            throw ValidationError("\(name) must be a positive duration such as 10s or 500ms, got '\(value)'")
        }
        if let token = self.controlToken, token.isEmpty || token.contains(where: { $0.isWhitespace }) {
            throw ValidationError("--control-token must be a non-empty token without spaces")
        }
        if (self.tlsCert == nil) != (self.tlsKey == nil) {
            throw ValidationError("give --tls-cert and --tls-key together")
        }
        if let maxConnections = self.maxConnections, maxConnections < 1 {
            throw ValidationError("--max-connections must be at least 1, got \(maxConnections)")
        }
    }


    /// Sets up logging to standard error and returns the server's logger.
    func makeLogger() -> Logger {
        let level = self.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "tablecast")
    }

    /// Where and how to listen. Raises the process's descriptor limit to its hard limit, so that the default
    /// connection cap is as high as the system allows; prints the line scripts wait for, and flushes it at once even
    /// when standard output is a pipe.
    /// - Throws: ``TLSFiles/LoadError`` when the TLS files cannot be used.
    func listen(logger: Logger) throws -> ListenConfiguration {
        AllocatorTuning.apply()
        let tls = try self.tlsCert.map { certificate in
            try TLSFiles(certificatePath: certificate, keyPath: self.tlsKey ?? "").load()
        }
        let scheme = tls == nil ? "http" : "https"
        let descriptors = DescriptorLimit.raiseToHardLimit()
        let allowed = max(1, descriptors - DescriptorLimit.reserved)
        let maxConnections = self.maxConnections ?? allowed
        if maxConnections > allowed {
            logger.warning(
                "--max-connections is above what the descriptor limit allows: connections past it cannot be accepted",
                metadata: ["maxConnections": "\(maxConnections)", "descriptorLimit": "\(descriptors)"]
            )
        }
        return ListenConfiguration(
            host: self.host,
            port: self.port,
            requestHeadTimeoutSeconds: CommandLineUnits.duration(self.requestHeadTimeout) ?? 10,
            idleTimeoutSeconds: CommandLineUnits.duration(self.idleTimeout) ?? 60,
            maxConnections: maxConnections,
            shutdownTimeoutSeconds: CommandLineUnits.duration(self.shutdownTimeout) ?? 10,
            tls: tls
        ) { host, port in
            print("tablecast listening on \(scheme)://\(host):\(port)")
            print("dashboard: \(scheme)://\(host):\(port)/")
            fflush(nil)
        }
    }
}

extension ServerOptions {
    /// Runs a server; a failure to start is one line on standard error and a failing exit status.
    func runReportingErrors(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as ServerStartError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
