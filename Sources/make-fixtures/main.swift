// Regenerates the shipped fixtures under Fixtures/ (or the directory given
// as the first argument). Deterministic: the same bytes on every run.
import Foundation
import RaftWALTesting

let root = CommandLine.arguments.dropFirst().first ?? "Fixtures"
do {
    try Fixtures.buildAll(into: root)
    print("wrote \(Fixtures.specs.count + SurvivorFixtures.specs.count) fixtures under \(root)")
} catch {
    FileHandle.standardError.write(Data("make-fixtures: \(error)\n".utf8))
    exit(1)
}
