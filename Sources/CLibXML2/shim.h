/*
 * libxml2 for Swift. Debian's libxml2 is built with ICU, so its encoding.h
 * pulls in <unicode/ucnv.h>, whose UErrorCode clashes with Foundation's own
 * copy of ICU in any module that sees both. We never touch the ICU parts
 * (xmlCharEncodingHandler's converter fields; the library only uses them
 * internally, through pointers), so hide them from the module.
 */
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <stdlib.h>
#include <string.h>

/* Trailing blanks given to the parser after a body (see ivr_xml_parse_padded). */
#define IVR_XML_PADDING 300

/*
 * Parses a copy of `buffer` followed by IVR_XML_PADDING blanks with
 * xmlCtxtReadMemory, for the SAX handlers installed on `ctxt` (which build
 * no tree: no document is returned). -1 when the copy cannot be made; the
 * outcome is in `ctxt` (wellFormed, errNo, lastError).
 *
 * libxml2 2.9 tries to read more input at almost every step once fewer than
 * 250 bytes are left (INPUT_CHUNK), which from memory always fails: for a small
 * Voicenter request that is about a hundred useless calls, a third of the parse.
 * With the padding the document ends before the parser gets that close to the
 * end of its input. Blanks after the root element are allowed (XML's "Misc"),
 * so the document parses the same; line numbers in errors are unchanged. The
 * padding itself is not read: see ivr_xml_stop_after_root.
 *
 * (The push parser, xmlCtxtResetPush + xmlParseChunk(terminate), never grows
 * its input and costs about the same, but reports a truncated body as "Extra
 * content at the end of the document" instead of "Premature end of data in
 * tag ...".)
 */
static inline int ivr_xml_parse_padded(xmlParserCtxtPtr ctxt, const char *buffer, int size, int options) {
    if (size < 0 || size > 0x7fffffff - IVR_XML_PADDING) return -1;
    char *copy = (char *)malloc((size_t)size + IVR_XML_PADDING);
    if (copy == NULL) return -1;
    memcpy(copy, buffer, (size_t)size);
    memset(copy + size, ' ', IVR_XML_PADDING);
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, copy, size + IVR_XML_PADDING, NULL, NULL, options);
    if (doc != NULL) xmlFreeDoc(doc); /* never: no startDocument handler, no tree */
    free(copy);
    return 0;
}

/*
 * For the endElementNs handler, when the root element has just closed (its end
 * tag consumed). If only blanks are left before the padding, nothing remains
 * for libxml2 to check, so the parse is stopped (errNo XML_ERR_USER_STOP)
 * instead of letting libxml2 skip the padding, about 20 instructions a blank.
 * Anything else after the root (a comment, a processing instruction, stray
 * text) is left to libxml2. Returns whether it stopped the parse.
 */
static inline int ivr_xml_stop_after_root(xmlParserCtxtPtr ctxt) {
    xmlParserInputPtr in = ctxt->input;
    if (ctxt->inputNr != 1 || in == NULL || in->cur == NULL || in->end == NULL) return 0;
    if (in->end - in->cur < IVR_XML_PADDING) return 0;
    for (const xmlChar *p = in->cur, *end = in->end - IVR_XML_PADDING; p < end; p++) {
        if (*p != 0x20 && *p != 0x09 && *p != 0x0A && *p != 0x0D) return 0;
    }
    xmlStopParser(ctxt);
    return 1;
}
