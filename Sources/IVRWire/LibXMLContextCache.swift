internal import CLibXML2

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One libxml2 parser context per thread, reused across parses.
///
/// Creating a context (its SAX table, dictionary, stacks) costs about as much
/// as parsing a small request, so each thread keeps one. A context is taken out
/// of its thread's slot while in use (so a nested parse gets a fresh one), is
/// only put back after a successful parse, and is replaced once its name
/// dictionary has grown (hostile bodies full of distinct names must not make it
/// grow for ever). It is freed when its thread exits.
enum LibXMLContextCache {
    /// Above this many distinct names, a context's dictionary is dropped with it.
    static let maxDictionaryNames = 4096

    private static let key: pthread_key_t? = {
        var key = pthread_key_t()
        #if canImport(Glibc)
        let destructor: @convention(c) (UnsafeMutableRawPointer?) -> Void = { pointer in
            if let pointer { xmlFreeParserCtxt(pointer.assumingMemoryBound(to: xmlParserCtxt.self)) }
        }
        #else
        let destructor: @convention(c) (UnsafeMutableRawPointer) -> Void = { pointer in
            xmlFreeParserCtxt(pointer.assumingMemoryBound(to: xmlParserCtxt.self))
        }
        #endif
        return pthread_key_create(&key, destructor) == 0 ? key : nil
    }()

    /// This thread's cached context, or a new one; nil only when libxml2 cannot allocate.
    static func take() -> xmlParserCtxtPtr? {
        if let key, let cached = pthread_getspecific(key) {
            pthread_setspecific(key, nil)
            return cached.assumingMemoryBound(to: xmlParserCtxt.self)
        }
        return xmlNewParserCtxt()
    }

    /// Gives `context` back after a successful parse; frees it when it cannot be kept.
    static func give(_ context: xmlParserCtxtPtr) {
        guard let key, xmlDictSize(context.pointee.dict) <= maxDictionaryNames,
              pthread_getspecific(key) == nil, pthread_setspecific(key, context) == 0 else {
            xmlFreeParserCtxt(context)
            return
        }
    }
}
