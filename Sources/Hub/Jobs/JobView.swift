import Foundation
import Outbox

/// A job as `GET /v1/jobs/{id}` shows it. `result` is the vendor's result; a job sent to
/// several vendors has one result per vendor, keyed by vendor name.
struct JobView: Encodable {
    struct Vendor: Encodable {
        var vendor: String
        var mode: String
        var status: String
        var result: JSONValue?
        var error: String?
        var deadline: String?
        var updated_at: String
    }

    var id: String
    var status: String
    var result: JSONValue?
    var error: String?
    var created_at: String
    var updated_at: String
    var vendors: [Vendor]

    init(_ job: JobRecord) {
        id = job.id.lowercasedString
        status = job.status.rawValue
        created_at = Timestamp.format(job.createdAt)
        updated_at = Timestamp.format(job.updatedAt)
        vendors = job.steps.map {
            Vendor(
                vendor: $0.vendor, mode: $0.mode, status: $0.status.rawValue,
                result: $0.result.flatMap { JSONValue(parsing: $0) }, error: $0.error,
                deadline: $0.deadline.map(Timestamp.format), updated_at: Timestamp.format($0.updatedAt)
            )
        }
        if vendors.count == 1 {
            result = vendors[0].result
            error = vendors[0].error
        } else {
            let results = vendors.compactMap { vendor in vendor.result.map { (vendor.vendor, $0) } }
            result = results.isEmpty ? nil : .object(Dictionary(uniqueKeysWithValues: results))
            let errors = vendors.compactMap { vendor in vendor.error.map { "\(vendor.vendor): \($0)" } }
            error = errors.isEmpty ? nil : errors.joined(separator: "; ")
        }
    }
}
