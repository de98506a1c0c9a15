import Testing

@Test func placeholderIVRServerTests() { #expect(1 == 1) }
