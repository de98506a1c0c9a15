/// Voicenter's reply examples (seed 002, chapters 5 and 12), corrected as
/// wire-protocol.md says; each correction is noted. Indentation is the seed's.
enum SeedReplies {
    /// HANGUP, verbatim.
    static let hangupXML = #"""
    <?xml version="1.0" encoding="utf-8"?>
    <methodResponse>
      <params>
        <param>
          <value>
            <struct>
              <member>
                <name>STATUS</name>
                <value> <int>0</int> </value>
             </member>
            <member>
              <name>LANGUAGE</name>
              <value><string>he</string></value>
            </member>
            <member>
              <name>ACTION</name>
              <value>
                <string>HANGUP</string>
              </value>
            </member>
            <member>
              <name>DATA</name>
              <value>
                <struct>
                  <member>
                    <name>HANGUP_REC</name>
                    <value>
                      <string>blank</string>
                    </value>
                  </member>
                  <member>
                    <name>HANGUP_CAUSE</name>
                    <value>
           <int>16</int>
           </value>
       </member>
    </struct>
    </value>
    </member>
    </struct>
    </value>
    </param>
    </params>
    </methodResponse>
    """#

    /// HANGUP in JSON, verbatim.
    static let hangupJSON = #"""
    {
      "STATUS" : 0,
      "ACTION" : "HANGUP",
      "LANGUAGE" : "HE",
      "DATA" : {
        "HANGUP_REC": "blank",
        "HANGUP_CAUSE": 16
      }
    }
    """#

    /// CALL. Corrected: NEXT_MENU_LOOP, NEXT_MENU_WAIT, NEXT_MENU_SIZE and
    /// REC_STATUS are `<int>` (the table says Integer), and DTMF_PLAY's `3` is
    /// on one line (the PDF broke it). The leading space of the first
    /// DIALSTRINGS value is the seed's and is kept: a bare `<value>` is a string as written.
    static let callXML = #"""
    <?xml version="1.0" encoding="utf-8"?>
    <methodResponse>
      <params>
        <param>
          <value>
            <struct>
              <member>
                <name>STATUS</name>
                <value>
                  <int>0</int>
                </value>
               </member>
               <member>
                 <name>LANGUAGE</name>
                 <value>
                   <string>he</string>
                 </value>
               </member>

               <member>
                 <name>ACTION</name>
                 <value>
                   <string>CALL</string>
                 </value>
               </member>
               <member>
        <name>DATA</name>
        <value>
            <struct>
                <member>
                    <name>TARGET</name>
                    <value>
                        <string>0540123456</string>
                        </value>
                    </member>
                <member>
                    <name>CALLERID</name>
                    <value>
                        <string>Unknown</string>
                        </value>
                </member>
                <member>
                    <name>CALLERNAME</name>
                    <value>
                        <string>?????</string>
                        </value>
                </member>
                <member>
                    <name>CALLER_REC</name>
                    <value>
                        <string>now_calling</string>
                        </value>
                </member>
                <member>
                    <name>MOH_CLASS</name>
                    <value>
                        <string>californication</string>
                        </value>
                </member>
                <member>
                    <name>TARGET_REC</name>
                    <value>
                        <string>blank</string>
                        </value>
                </member>
                <member>
                    <name>CALL_MAX_DIAL</name>
                    <value>
                        <int>35</int>
                        </value>
                </member>
                <member>
                    <name>CALL_MAX</name>
                    <value>
                        <int>600</int>
                        </value>
                </member>
                <member>
                    <name>NEXT_MENU</name>
                    <value>
                        <string>SOME-MENU</string>
                        </value>
                </member>
                <member>
                    <name>NEXT_MENU_RECORD</name>
                    <value>
                        <string>record-filename</string>
            </value>
        </member>
        <member>
        <name>NEXT_MENU_LOOP</name>
        <value>
            <int>3</int>
        </value>
    </member>
    <member>
    <name>NEXT_MENU_WAIT</name>
    <value>
        <int>1</int>
    </value>
    </member>
    <member>
    <name>NEXT_MENU_SIZE</name>
    <value>
        <int>4</int>
    </value>
    </member>
    <member>
        <name>REC_STATUS</name>
    <value>
        <int>1</int>
    </value>
    </member>
    <member>
        <name>DTMF_PLAY</name>
    <value>
        <string>3</string>
    </value>
    </member>
    <member>
        <name>DIALSTRINGS</name>
    <value>
        <array>
            <data>
        <value> SIP/972547000000@provider1</value>
        <value>SIP/972547000000@provider2</value>
            </data>
        </array>
    </value>
    </member>
    </struct>
    </value>
    </member>
    </struct>
    </value>
    </param>
    </params>
    </methodResponse>
    """#

    /// CALL in JSON. Corrected: CALL_MAX_DIAL, CALL_MAX and REC_STATUS are numbers, not `"25"`.
    static let callJSON = #"""
    {
      "STATUS": 0,
      "ACTION": "CALL",
      "LANGUAGE" : "HE",
      "DATA": {
        "TARGET": "0540123456",
        "CALLERID": "0500000000",
        "CALLERNAME": "",
        "CALLER_REC": "rec",
        "MOH_CLASS": "musiconhold",
        "TARGET_REC": "",
        "CALL_MAX_DIAL": 25,
        "CALL_MAX": 3200,
        "NEXT_MENU": "16",
        "NEXT_MENU_RECORD": "rec",
        "NEXT_MENU_LOOP": 1,
        "NEXT_MENU_SIZE": 2,
        "NEXT_MENU_WAIT": 1,
        "REC_STATUS": 0,
        "DTMF_PLAY": "16",
        "DIALSTRINGS": [
          "SIP/972547000000@provider1",
          "SIP/972547000000@provider2"
        ]
      }
    }
    """#

    /// MENU, verbatim.
    static let menuXML = #"""
    <?xml version="1.0" encoding="utf-8"?>
    <methodResponse>
      <params>
        <param>
          <value>
            <struct>
              <member>
                <name>STATUS</name>
                <value>
                  <int>0</int>
                </value>
               </member>
               <member>
                 <name>ACTION</name>
                 <value>
                   <string>MENU</string>
                 </value>
               </member>
               <member>
                 <name>LANGUAGE</name>
                 <value>
                   <string>he</string>
                 </value>
               </member>
               <member>
                 <name>DATA</name>
            <value>
                <struct>
                    <member>
                        <name>REC</name>
                        <value>
                            <string>record_filename</string>
                            </value>
                        </member>
                    <member>
                        <name>LOOP</name>
                        <value>
                            <int>2</int>
                        </value>
                    </member>
                    <member>
                        <name>DELAY</name>
                        <value>
                            <int>1</int>
                        </value>
                    </member>
                    <member>
                        <name>SIZE</name>
                        <value>
                            <int>4</int>
                        </value>
                    </member>
                    <member>
                        <name>MENU</name>
                        <value>
                            <string>menu_name</string>
                            </value>
                    </member>
                    <member>
                        <name>VALIDATION</name>
                        <value>
                            <int>1</int>
                        </value>
                    </member>
                </struct>
            </value>
        </member>
    </struct>
    </value>
    </param>
    </params>
    </methodResponse>
    """#

    /// MENU in JSON, verbatim.
    static let menuJSON = #"""
    {
        "STATUS" : 0,
        "ACTION" : "MENU",
        "LANGUAGE" : "HE",
        "DATA" : {
            "REC": "record",
            "LOOP": 4,
            "DELAY": 3,
            "SIZE": 2,
            "MENU": "menu",
            "VALIDATION": 0
        }
    }
    """#

    /// SAYDIGITS. Corrected: the PDF lost `<member>` before VALIDATION and wrote
    /// `</member>` for `<member>` before SAYDIGITSRECORD and DIGITS; `</struct>`
    /// after MENU is spurious.
    static let sayDigitsXML = #"""
    <?xml version="1.0" encoding="utf-8"?>
    <methodResponse>
      <params>
        <param>
          <value>
            <struct>
              <member>
                <name>STATUS</name>
                <value>
                  <int>0</int>
                </value>
              </member>
              <member>
                <name>ACTION</name>
                <value>
                  <string>SAYDIGITS</string>
                </value>
              </member>
              <member>
                <name>LANGUAGE</name>
                <value>
                  <string>he</string>
                </value>
              </member>
              <member>
                <name>DATA</name>
                <value>
                  <struct>
                    <member>
                      <name>REC</name>
                      <value>
                        <string>record_filename</string>
                      </value>
                    </member>
                    <member>
                      <name>LOOP</name>
                      <value>
                        <int>2</int>
                      </value>
                    </member>
                    <member>
                      <name>DELAY</name>
                      <value>
                        <int>1</int>
                      </value>
                    </member>
                    <member>
                      <name>SIZE</name>
                      <value>
                        <int>4</int>
                      </value>
                    </member>
                    <member>
                      <name>MENU</name>
                      <value>
                        <string>menu_name</string>
                      </value>
                    </member>
                    <member>
            <name>VALIDATION</name>
            <value>
                <int>1</int>
            </value>
        </member>
        <member>

        <name>SAYDIGITSRECORD</name>
        <value>
        <string>blank</string>
        </value>
    </member>
    <member>
        <name>DIGITS</name>
        <value>

        <string>154654</string>
        </value>
    </member>
    </struct>
    </value>
    </member>
    </struct>
    </value>
    </param>
    </params>
    </methodResponse>
    """#

    /// SAYDIGITS in JSON. Corrected: `ACTION` without spaces; the second and
    /// third `VALIDATION` keys are SAYDIGITSRECORD and DIGITS (values taken
    /// from the XML example), and the missing closing brace is added.
    static let sayDigitsJSON = #"""
    {
    "STATUS" : 0,
    "ACTION" : "SAYDIGITS",
    "LANGUAGE" : "HE",
    "DATA" : {
        "REC": "record",
        "LOOP": 4,
        "DELAY": 3,
        "SIZE": 2,
        "MENU": "menu",
        "VALIDATION": 0,
        "SAYDIGITSRECORD": "blank",
        "DIGITS": "154654"
    }
    }
    """#

    /// HANGUP_CALL reply. Corrected: it ends with `</methodResponse>`, not `</methodCall>`.
    static let hangupCallReplyXML = #"""
    <?xml version="1.0" encoding="utf-8"?>
    <methodResponse>
        <params>
            <param>
                <value>
                    <struct>
                        <member>
                            <name>STATUS</name>
                            <value>
                                <int>0</int>
                            </value>
                        </member>
                    </struct>
                </value>
            </param>
        </params>
    </methodResponse>
    """#

    /// HANGUP_CALL reply, the seed's last XML line verbatim: not well-formed.
    static let hangupCallReplyXMLVerbatim = hangupCallReplyXML.replacingSuffix("</methodResponse>", with: "</methodCall>")

    /// HANGUP_CALL reply in JSON, verbatim.
    static let hangupCallReplyJSON = #"""
    {
      "STATUS": 0
    }
    """#

    /// GO_TO_LAYER. Corrected: `"LAYER "` has no stray space. (The `"yyy "`
    /// custom-data key is any string and is kept.)
    static let goToLayerJSON = #"""
    {
        "STATUS": 0,
        "ACTION": "GO_TO_LAYER",
        "LAYER": 22,
        "CALLER_NAME": "Shlomi",
        "CUSTOM_DATA": {
            "xxx": "111",
            "yyy ": "222",
            "zzz": "333"
        }
    }
    """#

    /// DIAL. Corrected: TARGETS is an array of objects with quoted keys.
    static let dialJSON = #"""
    {
        "STATUS": 0,
        "ACTION": "DIAL",
        "MAX_CALL_DURATION": 7200,
        "MAX_DIAL_DURATION": 30,
        "RECORDING": "yes",
        "TARGETS": [
            {"TARGET": "0501234567",
            "TYPE": "PHONE"}
        ],
        "CALLER_ID": "0722776772",
        "CALLER_NAME": "Voicenter",
        "NEXT_VO_ID": 1,
        "ANSWER_NEXT_VO_ID": 1,
        "UNAVAILABLE_VO_ID": 2,
        "CUSTOM_DATA": {
            "xxx": "111",
            "yyy ": "222",
            "zzz": "333"
        }
    }
    """#
}

extension String {
    /// The string with `suffix` replaced by `replacement` (unchanged if it does not end so).
    func replacingSuffix(_ suffix: String, with replacement: String) -> String {
        guard hasSuffix(suffix) else { return self }
        return String(dropLast(suffix.count)) + replacement
    }
}
