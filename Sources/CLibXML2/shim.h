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

/* Trailing blanks given to the parser after a body (see ivr_xml_read_padded). */
#define IVR_XML_PADDING 300

/*
 * xmlCtxtReadMemory over a copy of `buffer` followed by IVR_XML_PADDING blanks.
 * libxml2 2.9 tries to read more input at almost every step once fewer than 250
 * bytes are left (INPUT_CHUNK), which from memory always fails: for a small
 * Voicenter request that is about a hundred useless calls, half of the parse.
 * With the padding the document ends before the parser gets that close to the
 * end of its input. Blanks after the root element are allowed (XML's "Misc"),
 * so the document parses the same; line numbers in errors are unchanged.
 */
static inline xmlDocPtr ivr_xml_read_padded(xmlParserCtxtPtr ctxt, const char *buffer, int size, int options) {
    if (size > 0x7fffffff - IVR_XML_PADDING) return NULL;
    char *copy = (char *)malloc((size_t)size + IVR_XML_PADDING);
    if (copy == NULL) return NULL;
    memcpy(copy, buffer, (size_t)size);
    memset(copy + size, ' ', IVR_XML_PADDING);
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, copy, size + IVR_XML_PADDING, NULL, NULL, options);
    free(copy);
    return doc;
}
