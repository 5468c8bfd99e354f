// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vjson.h"

/* 15 significant digits: a double rounded to N decimals prints as
 * written (0.1, not 0.10000000000000001). */
#define VK_JSON_FLAGS	(JSON_COMPACT | JSON_REAL_PRECISION(15))

void vk_json_schema(const char *name, int version)
{
	snprintf(vk_ctx.schema, sizeof(vk_ctx.schema), "vnetkit-%s/%d", name,
		 version);
}

json_t *vk_json_doc(const char *name, int version)
{
	json_t *doc = json_object();

	vk_json_schema(name, version);
	vk_jstr(doc, "schema", vk_ctx.schema);
	return doc;
}

static json_t *error_obj(void)
{
	json_t *e = json_object();

	vk_jstr(e, "what", vk_ctx.have_err ? vk_ctx.what : vk_ctx.cmd);
	vk_jstr(e, "why", vk_ctx.have_err ? vk_ctx.why : "failed");
	if (vk_ctx.have_err && vk_ctx.hint[0])
		vk_jstr(e, "hint", vk_ctx.hint);
	else
		vk_jnull(e, "hint");
	return e;
}

static void add_error(json_t *doc, int rc)
{
	if (!rc)
		return;
	vk_jset(doc, "error", error_obj());
	vk_ctx.json_done = true;
}

/* jansson prints 0.000031 as 3.1e-05 (%g); the guest's sed and awk
 * readers of these documents, like most people, expect 0.000031. Valid
 * JSON either way: number tokens outside strings are rewritten in fixed
 * notation, everything else passes through as jansson wrote it. */
static void put_fixed(const char *s)
{
	bool in_str = false;

	for (const char *p = s; *p; p++) {
		const char *end = p;
		char buf[64];
		double v;

		if (in_str) {
			if (*p == '\\' && p[1])
				putchar(*p++);
			else if (*p == '"')
				in_str = false;
			putchar(*p);
			continue;
		}
		if (*p == '"') {
			in_str = true;
			putchar(*p);
			continue;
		}
		if (*p != '-' && (*p < '0' || *p > '9')) {
			putchar(*p);
			continue;
		}
		end = p + strspn(p, "-+.eE0123456789");
		if (!memchr(p, 'e', end - p) && !memchr(p, 'E', end - p)) {
			fwrite(p, 1, end - p, stdout);
		} else {
			size_t n;

			v = strtod(p, NULL);
			n = snprintf(buf, sizeof(buf), "%.15f", v);
			while (n > 1 && buf[n - 1] == '0' && buf[n - 2] != '.')
				buf[--n] = '\0';
			fputs(buf, stdout);
		}
		p = end - 1;
	}
}

static void dump(json_t *v, size_t flags)
{
	char *s = json_dumps(v, flags | JSON_ENCODE_ANY);

	if (s)
		put_fixed(s);
	free(s);
}

void vk_json_print(json_t *doc, int rc)
{
	add_error(doc, rc);
	fflush(stderr);
	dump(doc, VK_JSON_FLAGS);
	putchar('\n');
	fflush(stdout);
	json_decref(doc);
}

static void dump_spaced(json_t *v)
{
	/* No JSON_COMPACT: ", " and ": " between members, as before. */
	dump(v, JSON_REAL_PRECISION(15));
}

void vk_json_print_lines(json_t *doc, int rc)
{
	const char *key;
	bool first = true;
	json_t *v;

	add_error(doc, rc);
	fflush(stderr);
	json_object_foreach(doc, key, v) {
		json_t *k = json_string(key);
		size_t i, n = json_is_array(v) ? json_array_size(v) : 0;

		fputs(first ? "{" : ",\n ", stdout);
		first = false;
		dump_spaced(k);
		json_decref(k);
		fputs(": ", stdout);
		if (!n || !json_is_object(json_array_get(v, 0))) {
			dump_spaced(v);
			continue;
		}
		fputc('[', stdout);
		for (i = 0; i < n; i++) {
			fputs(i ? ",\n  " : "\n  ", stdout);
			dump_spaced(json_array_get(v, i));
		}
		fputs("\n ]", stdout);
	}
	fputs(first ? "{}\n" : "}\n", stdout);
	fflush(stdout);
	json_decref(doc);
}

void vk_json_error_doc(int rc)
{
	json_t *doc;

	if (!rc || !vk_ctx.json || vk_ctx.json_done)
		return;
	if (!vk_ctx.schema[0])
		snprintf(vk_ctx.schema, sizeof(vk_ctx.schema), "vnetkit-%s%s%s/1",
			 vk_ctx.cmd, vk_ctx.sub ? "-" : "", vk_ctx.sub ? vk_ctx.sub : "");
	doc = json_object();
	vk_jstr(doc, "schema", vk_ctx.schema);
	vk_json_print(doc, rc);
}

json_t *vk_json_str(const char *s)
{
	json_t *j = s ? json_string(s) : NULL;

	/* json_string() refuses what is not UTF-8 (an interface name may
	 * be any bytes): keep it readable rather than drop it. */
	if (s && !j) {
		char buf[256];
		size_t i;

		for (i = 0; s[i] && i < sizeof(buf) - 1; i++)
			buf[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
		buf[i] = '\0';
		j = json_string(buf);
	}
	return j ? j : json_null();
}

json_t *vk_json_real(double v, int decimals)
{
	double m = pow(10, decimals);

	if (!isfinite(v))
		return json_null();
	return json_real(round(v * m) / m);
}

json_t *vk_json_u64(uint64_t v)
{
	return json_integer((json_int_t)v);
}
