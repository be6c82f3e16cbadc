import Foundation
import Testing

/// Issue 14, item 11: `verify` names the files `raft-recover` leaves in a
/// directory for what they are (a notice), never "not a RaftWAL file". The
/// report of a finished run: `SpecialFileTests.verifyOnARecoveredDirectoryKnowsTheToolsOwnReport`.
@Suite struct ToolArtifactNoticeTests {
    @Test func verifyOnAnUnfinishedStagingDirectoryNamesTheMarkerAsTheToolsOwn() throws {
        let root = try RecoverTestSupport.scratch("marker-known")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let staging = root + "/out.raft-recover-staging"
        try FileManager.default.copyItem(atPath: InspectSupport.root + "/Fixtures/healthy", toPath: staging)
        try Data().write(to: URL(fileURLWithPath: staging + "/RAFT-RECOVER-STAGING"))
        let r = try InspectSupport.run(["verify", staging])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("RAFT-RECOVER-STAGING"), "\(r.stdout)")
        #expect(r.stdout.contains("the marker of a raft-recover staging directory"), "\(r.stdout)")
        #expect(!r.stdout.contains("not a RaftWAL file"), "\(r.stdout)")
    }
}
