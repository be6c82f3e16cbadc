/// The version every RaftWAL tool prints for `--version`: the one place it
/// is written. It equals the newest release heading of `CHANGELOG.md`
/// (`ToolConventionTests` checks both against every tool).
package let raftWALVersion = "0.1.0"
