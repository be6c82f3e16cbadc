/// The files `raft-recover` itself leaves inside a directory, so that the
/// inspector names each for what it is (a notice) instead of calling it a
/// foreign file. The names are ``Staging``'s; `.broken` copies and `.tmp`
/// files (the report's temporary name too) are kinds the engine's listing
/// already names (backups, temporaries).
enum ToolArtifacts {
    /// What `name` is, when `raft-recover` wrote it; nil for any other name.
    static func describe(_ name: String) -> String? {
        switch name {
        case Staging.reportName:
            return "the report of the raft-recover run that made this directory: ignored by the engine"
        case Staging.markerName:
            return "the marker of a raft-recover staging directory: this is an unfinished result, not yet renamed to its final name"
        default:
            return nil
        }
    }
}
