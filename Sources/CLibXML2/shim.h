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
