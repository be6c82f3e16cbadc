import RaftWAL

/// Checks on the paths the tools are given, with the same wording in every tool.
package enum ToolPaths {
    /// Throws ``ToolFailure`` (exit 2, "`path` is not a directory") when
    /// `path` exists and is not a directory; a missing path passes (commands
    /// that create a directory, or that treat a missing one as empty).
    package static func refuseNonDirectory(_ path: String, fileSystem: any FileSystem = POSIXFileSystem()) throws(ToolFailure) {
        if fileSystem.fileExists(path) && !fileSystem.isDirectory(path) {
            throw ToolFailure("\(path) is not a directory")
        }
    }
}
