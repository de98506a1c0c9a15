// The call model's types (CallPrompt, CallModel, CallDefaults) are part of this module's API.
@_exported import IVRCallModel
