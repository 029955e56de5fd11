import HTTPTypes

extension InboundRequest {
    /// The one value of a header a scheme needs. A repeated header is refused rather than joined
    /// with commas (as `HTTPFields` would), so two signatures can never be read as one.
    func singleHeader(_ name: HTTPField.Name) throws(VerificationFailure) -> String {
        let values = headers[values: name]
        guard let value = values.first else {
            throw VerificationFailure(check: .missingHeader, message: "\(name) is missing")
        }
        guard values.count == 1 else {
            throw VerificationFailure(check: .malformedHeader, message: "\(name) appears \(values.count) times")
        }
        guard !value.isEmpty else {
            throw VerificationFailure(check: .malformedHeader, message: "\(name) is empty")
        }
        return value
    }
}
