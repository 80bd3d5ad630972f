// include/uapi/asm-generic/errno-base.h and errno.h: the error numbers the simulated paths return
// (kernel style: functions return -EFOO).
export const ENOENT = 2;
export const EINTR = 4;
export const EIO = 5;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EFAULT = 14;
export const ENOTBLK = 15;
export const EBUSY = 16;
export const EINVAL = 22;
export const EOVERFLOW = 75;
export const EOPNOTSUPP = 95;
export const EREMOTEIO = 121;
/** include/linux/errno.h, kernel-internal: "iocb queued, will get completion event". */
export const EIOCBQUEUED = 529;

const names: Record<number, string> = {
  [ENOENT]: "ENOENT", [EINTR]: "EINTR", [EIO]: "EIO", [EAGAIN]: "EAGAIN", [ENOMEM]: "ENOMEM", [EFAULT]: "EFAULT",
  [EBUSY]: "EBUSY", [EINVAL]: "EINVAL", [EOVERFLOW]: "EOVERFLOW", [EOPNOTSUPP]: "EOPNOTSUPP",
  [EREMOTEIO]: "EREMOTEIO", [ENOTBLK]: "ENOTBLK", [EIOCBQUEUED]: "EIOCBQUEUED",
};

/** "-EFAULT" for -14, the plain number for anything that is not an error. */
export function errname(ret: number): string {
  return ret < 0 && names[-ret] ? `-${names[-ret]}` : String(ret);
}
