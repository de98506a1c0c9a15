import IVRScript
import Testing

@Test func zCalibrate() {
    for n in [300, 600, 1000] {
        let source = "function on_start(call)\n local s = string.rep('a', \(n))\n string.find(s, '.-.-.-b')\n return ivr.hangup{}\nend"
        let w = makeWorker(timeout: .seconds(60))
        let start = ContinuousClock.now
        let r = run(source, worker: w)
        print("CALIB n=\(n) \(ContinuousClock.now - start) ok=\(r.succeeded) \(r.failure?.message ?? "")")
    }
}
