import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP connection for libssh2 to speak over: resolved, connected within a deadline,
/// with send and receive timeouts so a silent server cannot hold a thread forever.
enum TCPConnection {
    static func open(host: String, port: Int, timeout: Duration) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &list)
        guard resolved == 0, let first = list else {
            throw SFTPError(.unreachable, "\(host) could not be resolved: \(String(cString: gai_strerror(resolved)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = ECONNREFUSED
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let address = candidate {
            candidate = address.pointee.ai_next
            let fd = socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
            guard fd >= 0 else { lastError = errno; continue }
            var limit = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.milliseconds % 1000) * 1000)
            // On Linux SO_SNDTIMEO also bounds connect(2).
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            var on: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
            if connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 { return fd }
            lastError = errno
            close(fd)
        }
        if lastError == EINPROGRESS || lastError == EAGAIN || lastError == ETIMEDOUT {
            throw SFTPError(.timeout, "connecting to \(host):\(port) timed out")
        }
        throw SFTPError(.unreachable, "connecting to \(host):\(port): \(String(cString: strerror(lastError)))")
    }
}
