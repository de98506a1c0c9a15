/// Voicenter's request examples (seed 002, chapters 5 and 12), with the typos
/// wire-protocol.md explains corrected; each correction is noted.
enum SeedRequests {
    /// Chapter 5.1 GET_IVR_ACTION. Corrected: the IVR_UNIQUE_ID is on one line
    /// (the PDF split it), and the lost `</member><member>` before DTMF is restored.
    static let getIVRActionXML = #"""
    <?xml version="1.0" encoding="utf-8"?>
    <methodCall>
        <methodName>GET_IVR_ACTION</methodName>
        <params>
            <param>
                <value>
                    <struct>
                        <member>
                            <name>DID</name>
                            <value>
                                <string>0730000000</string>
                            </value>
                        </member>
                        <member>
                            <name>CALLER_ID</name>
                            <value>
                                <string>0540000000</string>
                            </value>
                        </member>
                        <member>
                            <name>CALLER_NAME</name>
                            <value>
                                <string>017W</string>
                            </value>
                        </member>
                        <member>
                            <name>IVR_UNIQUE_ID</name>
                            <value>
                                <string>ced4619f30fc17182d8e41ddf4d6869X</string>
                            </value>
                        </member>
                        <member>
                            <name>DTMF</name>
                            <value>
                                <string/>
                            </value>
                        </member>
                        <member>
                            <name>MENU</name>
                            <value>
                                <string>-1</string>
                            </value>
                        </member>
                        <member>
                            <name>PREVIOUS_MENU</name>
                            <value>
                                <string>-1</string>
                            </value>
                        </member>
                    </struct>
                </value>
            </param>
        </params>
    </methodCall>
    """#

    /// Chapter 5.1 GET_IVR_ACTION in JSON, verbatim: its keys are unquoted, so strict JSON refuses it.
    static let getIVRActionJSONUnquoted = #"""
    {
        METHOD: "GET_IVR_ACTION",
        DATA: {
            DID: "0732793256",
            CALLER_ID: "n5zx1C2a",
            CALLER_NAME: "n5zx1C2a",
            IVR_UNIQUE_ID: "1bcd7954224861f85a2d70612f248282",
            DTMF: "",
            MENU: "-1",
            PREVIOUS_MENU: "-1"
        }
    }
    """#

    /// The same with its keys quoted.
    static let getIVRActionJSON = #"""
    {
        "METHOD": "GET_IVR_ACTION",
        "DATA": {
            "DID": "0732793256",
            "CALLER_ID": "n5zx1C2a",
            "CALLER_NAME": "n5zx1C2a",
            "IVR_UNIQUE_ID": "1bcd7954224861f85a2d70612f248282",
            "DTMF": "",
            "MENU": "-1",
            "PREVIOUS_MENU": "-1"
        }
    }
    """#

    /// Chapter 5.2 HANGUP_CALL, verbatim.
    static let hangupCallXML = #"""
    <?xml version="1.0" encoding="utf-8"?>
    <methodCall>
      <methodName>HANGUP_CALL</methodName>
      <params>
        <param>
          <value>
            <struct>
              <member>
                <name>DID</name>
                <value>
                  <string>0730000000</string>
                </value>
              </member>
              <member>
                <name>CALLER_ID</name>
                <value>
                  <string>0540000000</string>
                </value>
              </member>
              <member>
                <name>IVR_UNIQUE_ID</name>
                <value>
                  <string>ced4619f30fc17182d8e41ddf4d6869X</string>
                </value>
              </member>
              <member>
                <name>TARGET</name>
                <value>
                  <string>0500000555</string>
                </value>
              </member>
              <member>
                <name>CALL_TIME_EPOCH</name>
                <value>
                  <int>15616841651</int>
                </value>
              </member>
              <member>
                <name>CALL_START_EPOCH</name>
                <value>
                  <int>15616841612</int>
                </value>
              </member>
              <member>
                <name>CALL_DURATION</name>
                <value>
                  <int>125</int>
                </value>
              </member>
              <member>
                <name>CALL_DAILTIME</name>
                <value>
                  <int>15</int>
                </value>
              </member>
              <member>
                <name>CALL_STATUS</name>
                <value>
                  <string>ANSWERED</string>
                </value>
              </member>
            </struct>
          </value>
        </param>
      </params>
    </methodCall>
    """#

    /// Chapter 5.2 HANGUP_CALL in JSON, verbatim.
    static let hangupCallJSON = #"""
    {
      "METHOD" : "HANGUP_CALL",
      "DATA" : {
          "DID": "0730000000",
          "CALLER_ID": "0540000000",
          "IVR_UNIQUE_ID": "ced4619f30fc17182d8e41ddf4d6869X",
          "TARGET": "0500000555",
          "CALL_TIME_EPOCH": 15616841651,
          "CALL_START_EPOCH": 15616841612,
          "CALL_DURATION": 650,
          "CALL_DAILTIME": 15,
          "CALL_STATUS": "ANSWERED"
        }
    }
    """#

    /// Chapter 12 IVR_LAYER_INPUT, verbatim (its `IVR_UNIQUE_ID` is a placeholder of x's).
    static let layerInputJSON = #"""
    {
        "METHOD": "IVR_LAYER_INPUT",
        "DATA": {
            "DID": "0732793256",
            "CALLER_ID": "0523574321",
            "IVR_UNIQUE_ID": "xxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "DTMF": "1234567",
            "LAYER_ID": 8,
            "PREVIOUS_LAYER_ID": 4
        }
    }
    """#
}
