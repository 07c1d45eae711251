/* SPDX-License-Identifier: GPL-2.0-only */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM bosh

#if !defined(_BOSH_TRACE_H_) || defined(TRACE_HEADER_MULTI_READ)
#define _BOSH_TRACE_H_

#include <linux/tracepoint.h>
#include <trace/events/mmflags.h>

TRACE_EVENT(bosh_shrink,
	    TP_PROTO(int dev, unsigned long nr_to_scan, unsigned long freed,
		     unsigned long purged, gfp_t gfp, u64 duration_ns),
	    TP_ARGS(dev, nr_to_scan, freed, purged, gfp, duration_ns),
	    TP_STRUCT__entry(__field(int, dev)
			     __field(unsigned long, nr_to_scan)
			     __field(unsigned long, freed)
			     __field(unsigned long, purged)
			     __field(unsigned long, gfp)
			     __field(u64, duration_ns)),
	    TP_fast_assign(__entry->dev = dev;
			   __entry->nr_to_scan = nr_to_scan;
			   __entry->freed = freed;
			   __entry->purged = purged;
			   __entry->gfp = (__force unsigned long)gfp;
			   __entry->duration_ns = duration_ns;),
	    TP_printk("dev=%d nr_to_scan=%lu freed=%lu purged=%lu gfp=%s duration_ns=%llu",
		      __entry->dev, __entry->nr_to_scan, __entry->freed,
		      __entry->purged, show_gfp_flags(__entry->gfp),
		      __entry->duration_ns)
);

TRACE_EVENT(bosh_backup,
	    TP_PROTO(int dev, u32 bo, long pages, long written, int err,
		     unsigned long first, unsigned long visited,
		     unsigned long zapped),
	    TP_ARGS(dev, bo, pages, written, err, first, visited, zapped),
	    TP_STRUCT__entry(__field(int, dev)
			     __field(u32, bo)
			     __field(long, pages)
			     __field(long, written)
			     __field(int, err)
			     __field(unsigned long, first)
			     __field(unsigned long, visited)
			     __field(unsigned long, zapped)),
	    TP_fast_assign(__entry->dev = dev;
			   __entry->bo = bo;
			   __entry->pages = pages;
			   __entry->written = written;
			   __entry->err = err;
			   __entry->first = first;
			   __entry->visited = visited;
			   __entry->zapped = zapped;),
	    TP_printk("dev=%d bo=%u pages=%ld written=%ld err=%d first=%lu visited=%lu zapped=%lu",
		      __entry->dev, __entry->bo, __entry->pages,
		      __entry->written, __entry->err, __entry->first,
		      __entry->visited, __entry->zapped)
);

TRACE_EVENT(bosh_restore,
	    TP_PROTO(int dev, u32 bo, unsigned long index, int err),
	    TP_ARGS(dev, bo, index, err),
	    TP_STRUCT__entry(__field(int, dev)
			     __field(u32, bo)
			     __field(unsigned long, index)
			     __field(int, err)),
	    TP_fast_assign(__entry->dev = dev;
			   __entry->bo = bo;
			   __entry->index = index;
			   __entry->err = err;),
	    TP_printk("dev=%d bo=%u index=%lu err=%d", __entry->dev,
		      __entry->bo, __entry->index, __entry->err)
);

TRACE_EVENT(bosh_purge,
	    TP_PROTO(int dev, u32 bo, long pages),
	    TP_ARGS(dev, bo, pages),
	    TP_STRUCT__entry(__field(int, dev)
			     __field(u32, bo)
			     __field(long, pages)),
	    TP_fast_assign(__entry->dev = dev;
			   __entry->bo = bo;
			   __entry->pages = pages;),
	    TP_printk("dev=%d bo=%u pages=%ld", __entry->dev, __entry->bo,
		      __entry->pages)
);

#endif /* _BOSH_TRACE_H_ */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE bosh_trace
#include <trace/define_trace.h>
