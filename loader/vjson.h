/* SPDX-License-Identifier: GPL-2.0 */
/* The JSON documents of the CLI, built with jansson and never printf:
 * every string is escaped by the library, every document names its schema
 * ("vnetkit-<document>/<version>", files under schemas/), and with --json a
 * failure still prints a document: {"schema": ..., "error": {...}}. */
#ifndef VNETKIT_VJSON_H
#define VNETKIT_VJSON_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

/* {"schema": "vnetkit-<name>/<version>"}; the schema is remembered for the
 * error document of a later failure. */
json_t *vk_json_doc(const char *name, int version);
/* Name the document before there is one (a failure during set-up). */
void vk_json_schema(const char *name, int version);

/* One line on stdout (compact, as the guest tests' parsers expect); frees
 * doc. rc is the command's exit code: a failed run's document carries the
 * first error as "error", and main() then prints no second one. */
void vk_json_print(json_t *doc, int rc);
/* The same, laid out one top-level member and one element of a top-level
 * array per line (trace's report: a stage per line for grep). */
void vk_json_print_lines(json_t *doc, int rc);
/* main(): a failed --json run that printed nothing gets its document. */
void vk_json_error_doc(int rc);

/* Values that are never invalid JSON: a NULL string and a NaN or infinite
 * number become null; reals are rounded to the decimals that mean
 * something. Counters are 64-bit signed in jansson: they stay far below
 * 2^63. */
json_t *vk_json_str(const char *s);
json_t *vk_json_real(double v, int decimals);
json_t *vk_json_u64(uint64_t v);

/* Short forms of json_object_set_new(). */
#define vk_jset(o, k, v)	json_object_set_new((o), (k), (v))
#define vk_jstr(o, k, s)	vk_jset((o), (k), vk_json_str(s))
#define vk_ju64(o, k, v)	vk_jset((o), (k), vk_json_u64(v))
#define vk_jint(o, k, v)	vk_jset((o), (k), json_integer(v))
#define vk_jbool(o, k, v)	vk_jset((o), (k), json_boolean(v))
#define vk_jreal(o, k, v, d)	vk_jset((o), (k), vk_json_real((v), (d)))
#define vk_jnull(o, k)		vk_jset((o), (k), json_null())

#endif
