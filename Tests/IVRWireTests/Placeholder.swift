import Testing

@Test func placeholderIVRWireTests() { #expect(1 == 1) }
