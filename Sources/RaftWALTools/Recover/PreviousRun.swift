import RaftWAL

/// The result of an earlier run of `command` on `source`, if one is in place
/// (an in-place run interrupted between its renames is completed first).
func previousRun(_ staging: Staging, command: String, source: String, options: RecoverOptions) throws(RecoverError) -> RecoverReport? {
    switch options.target {
    case .inPlace:
        let last = source.split(separator: "/").last
        if source == "/" || last == "." || last == ".." {
            throw .usage("--in-place needs the directory by name (not \(source)): it is renamed to keep the backup")
        }
        if options.fileSystem.fileKind(source) == .symbolicLink {
            throw .usage("--in-place renames \(source) to keep the backup, and \(source) is a symbolic link: name the directory it points to")
        }
        guard !options.dryRun, var report = try staging.finishInterrupted() else { return nil }
        report.outcome = .alreadyDone
        report.notes.append("completed an interrupted run: \(staging.stagingPath) renamed to \(source)")
        return report
    case .directory(let out):
        if normalizedDirectory(out) == source { throw .usage("--output must differ from the source directory (use --in-place to replace it)") }
        if normalizedDirectory(out).hasPrefix(source + "/") { throw .usage("--output must not be inside the source directory") }
        let fs = options.fileSystem
        guard let kind = fs.fileKind(normalizedDirectory(out)) else { return nil }
        if kind != .directory { throw .environment(.invalidArgument("the output \(out) already exists (\(kind.rawValue))")) }
        if var report = staging.completedReport(in: normalizedDirectory(out)), report.command == command, report.source == source {
            // Made from this source as it is now? (Tolerant open: a repair's source is damaged.)
            var o = options.sourceOptions(recovery: .truncateAtFirstCorruption)
            o.access = .readOnly
            if let log = try? RaftLog.open(directory: source, options: o) {
                defer { log.close() }
                if report.sourceIdentity == .init(log.identity), report.sourceHardState == log.hardState,
                   report.sourceLastIndex == log.lastIndex {
                    report.outcome = .alreadyDone
                    report.dryRun = options.dryRun
                    return report
                }
            }
            throw .environment(.invalidArgument("the output \(out) already exists, made by \(command) from an earlier state of \(source)"))
        }
        throw .environment(.invalidArgument("the output \(out) already exists"))
    }
}
