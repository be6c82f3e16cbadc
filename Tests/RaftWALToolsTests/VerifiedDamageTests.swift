import Foundation
import Testing
import RaftWAL
@testable import RaftWALTools

/// The gate repair and heal pass before presenting a result: verify's survey.
@Suite struct VerifiedDamageTests {
    @Test func aSurveyThatCannotRunIsAnErrorNotACleanResult() throws {
        let missing = NSTemporaryDirectory() + "no-such-log-\(UUID().uuidString)"
        #expect(throws: WALError.self) { try verifiedDamage(missing, fileSystem: POSIXFileSystem()) }
    }

    @Test func aHealthyLogSurveysWithoutDamage() throws {
        #expect(try verifiedDamage(RecoverFixtureTests.root + "/healthy", fileSystem: POSIXFileSystem()).isEmpty)
    }
}
