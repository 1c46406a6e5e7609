import ArgumentParser

@main
struct AuditQ: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auditq",
        abstract: "The audit-log and compliance record store: ingest, verify, look up and export signed, hash-chained events.",
        subcommands: [
            DemoCommand.self,
            KeysCommand.self,
            IngestCommand.self,
            CatCommand.self,
            FindCommand.self,
            ShowCommand.self,
            IndexCommand.self,
            VerifyCommand.self,
            EraseCommand.self,
            RetentionCommand.self,
            HeadCommand.self,
            ExportCommand.self,
            VerifyBundleCommand.self,
            RedactCommand.self,
        ]
    )
}
