import Testing

@Test func placeholderIVRScriptTests() { #expect(1 == 1) }
