/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between the kernels mynetdrv builds on, in one place.
 * Each entry probes for a capability (a macro the newer kernel defines)
 * rather than comparing version numbers in the driver's code.
 */
#ifndef _MYNET_COMPAT_H
#define _MYNET_COMPAT_H

#include <linux/compiler.h>

/* Bounds annotation for flexible arrays, from 6.6. */
#ifndef __counted_by
#define __counted_by(member)
#endif

#endif /* _MYNET_COMPAT_H */
