import ArgumentParser
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

extension Logger.Level: @retroactive ExpressibleByArgument {}
