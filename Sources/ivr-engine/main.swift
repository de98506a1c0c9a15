print("ivr-engine")
