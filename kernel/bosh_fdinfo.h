/* SPDX-License-Identifier: GPL-2.0-only */
/* fdinfo (bosh_fdinfo.c). */
#ifndef _BOSH_FDINFO_H_
#define _BOSH_FDINFO_H_

struct drm_file;
struct drm_printer;

void bosh_show_fdinfo(struct drm_printer *p, struct drm_file *file);

#endif /* _BOSH_FDINFO_H_ */
