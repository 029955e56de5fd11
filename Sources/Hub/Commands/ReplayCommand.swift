import ArgumentParser
import Foundation
import Outbox

/// `hub replay retry|redrive|resend`: the ops actions of `/v1/ops`, audited as `cli:<user>`.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay", abstract: "Retry, redrive or resend deliveries.",
        subcommands: [Retry.self, Redrive.self, Resend.self]
    )

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make one dead or waiting delivery due now.")
        @OptionGroup var options: CommonOptions
        @Argument(help: "The delivery id.") var id: String

        func run() async throws {
            guard let delivery = UUID(uuidString: id) else { throw CLIError("'\(id)' is not a delivery id") }
            let result = try await OpsCommandSupport.withOperations(options) { _, operations in
                try await operations.retry(delivery: delivery, actor: OpsCommandSupport.actor)
            }
            switch result {
            case .queued: print("delivery \(delivery.lowercasedString) is pending, due now")
            case .notFound: throw CLIError("no delivery with id \(delivery.lowercasedString)")
            case .notRetryable(let status): throw CLIError("delivery is \(status.rawValue): nothing to retry")
            }
        }
    }

    struct Redrive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Return dead deliveries matching a filter to pending, at the ops.bulk_rate cap."
        )
        @OptionGroup var options: CommonOptions
        @OptionGroup var filter: FilterOptions
        @Flag(name: .long, help: "Show the count and a sample; change nothing.") var dryRun = false

        func run() async throws {
            let work = BulkWork.redrive(try filter.filter())
            try await ReplayCommand.runBulk(work, options: options, dryRun: dryRun)
        }
    }

    struct Resend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send delivered messages matching a filter again, as new deliveries to --to."
        )
        @OptionGroup var options: CommonOptions
        @OptionGroup var filter: FilterOptions
        @Option(name: .long, help: "The destination to resend to.") var to: String
        @Flag(name: .long, help: "Show the count and a sample; change nothing.") var dryRun = false

        func run() async throws {
            let work = BulkWork.resend(try filter.filter(), to: to)
            try await ReplayCommand.runBulk(work, options: options, dryRun: dryRun)
        }
    }

    /// Prepares (audits) a bulk action, then either shows its dry run or carries it out here,
    /// printing progress after each batch.
    static func runBulk(_ work: BulkWork, options: CommonOptions, dryRun: Bool) async throws {
        let status = try await OpsCommandSupport.withOperations(options) { config, operations in
            if case .resend(_, let to) = work { try OpsCommandSupport.requireDestination(to, in: config, option: "--to") }
            let prepared = try await operations.prepare(work, actor: OpsCommandSupport.actor, dryRun: dryRun)
            let action = prepared.action
            if dryRun {
                print("dry run: \(work.name) would act on \(action.total) deliveries (action \(action.id.lowercasedString))")
                OpsCommandSupport.printTable(prepared.sample)
                return OpsAction.Status.done
            }
            print("\(work.name): \(action.total) deliveries at up to \(operations.bulk.rate.perSecond)/s (action \(action.id.lowercasedString))")
            let total = action.total
            return await operations.perform(action, work) { processed in print("\(work.name): \(processed)/\(total)") }
        }
        guard status == .done else { throw CLIError("\(work.name) \(status.rawValue); see GET /v1/ops/audit") }
    }
}
