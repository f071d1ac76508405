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

    func validate() throws {
        guard (0...65535).contains(self.port) else {
            throw ValidationError("--port must be between 0 and 65535, got \(self.port)")
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

    /// Prints the line scripts wait for, and flushes it at once even when standard output is a pipe.
    var listen: ListenConfiguration {
        ListenConfiguration(host: self.host, port: self.port) { host, port in
            print("tablecast listening on http://\(host):\(port)")
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
