import Testing

@Test func placeholderIVRStateTests() { #expect(1 == 1) }
