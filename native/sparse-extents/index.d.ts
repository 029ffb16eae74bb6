/**
 * The byte ranges of a file that may hold data, as [start0, end0, start1, end1, ...]:
 * everything else is a hole that reads as zeros. Asks the file system with
 * lseek(SEEK_DATA/SEEK_HOLE) on a thread of the libuv pool. A file system that cannot tell
 * gets one range over the whole file: data is never reported as a hole.
 */
export function dataExtents(path: string): Promise<Float64Array>;
