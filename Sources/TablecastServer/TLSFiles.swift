import NIOSSL

/// A certificate chain and its private key, as PEM files: what a server needs to speak `https://` and `wss://`.
public struct TLSFiles: Sendable {
    public var certificatePath: String
    public var keyPath: String

    public init(certificatePath: String, keyPath: String) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
    }

    /// Why the files cannot serve TLS; names the file.
    public struct LoadError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String

        public var description: String { "cannot use \(self.path) for TLS: \(self.reason)" }
    }

    /// Reads and checks the files (blocking disk I/O: call it before the server starts, never on an event loop).
    /// - Throws: ``LoadError`` naming the file that is missing, unreadable or not PEM, or the key that does not
    ///   match the certificate.
    public func load() throws(LoadError) -> TLSContext {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(self.certificatePath)
        } catch {
            throw LoadError(path: self.certificatePath, reason: "not a readable PEM certificate (\(error))")
        }
        guard !certificates.isEmpty else {
            throw LoadError(path: self.certificatePath, reason: "no certificate in the file")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: self.keyPath, format: .pem)
        } catch {
            throw LoadError(path: self.keyPath, reason: "not a readable PEM private key (\(error))")
        }
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: certificates.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        do {
            return TLSContext(context: try NIOSSLContext(configuration: configuration))
        } catch {
            throw LoadError(path: self.keyPath, reason: "the key does not go with the certificate (\(error))")
        }
    }
}

/// A loaded TLS server context.
public struct TLSContext: Sendable {
    let context: NIOSSLContext
}
