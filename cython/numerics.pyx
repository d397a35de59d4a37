# distutils: extra_compile_args = -O3 -ffp-contract=off
"""Numerics emulation kernels: float/int quantisation, saturating integer accumulation, LNS
arithmetic and Kahan summation.

Each function mirrors, operation for operation, its pure-numpy twin in accelsim/numerics/
(floats.py, integers.py, lns.py, kahan.py); tests check that the two agree bit for bit. FMA
contraction is switched off so that a*b+c rounds twice, as in numpy. Transcendental functions
(log2, exp2) are never called here: numpy's vectorised versions differ from the C library's in the
last bit, so the shared callers evaluate them once with numpy.
"""
import numpy as np

from libc.math cimport rint, floor, frexp, ldexp, fabs, copysign, INFINITY, NAN
from libc.stdint cimport int64_t, int8_t

ctypedef fused real:
    float
    double


def quantize_float_kernel(const double[::1] x, const double[::1] u, int mantissa_bits,
                          int min_exponent, double max_value, int overflow):
    """Round float64 x to the format (see floats.py); u empty: RNE, else stochastic."""
    cdef Py_ssize_t n = x.shape[0], i
    cdef bint stochastic = u.shape[0] > 0
    out = np.empty(n, dtype=np.float64)
    cdef double[::1] q = out
    cdef int e, shift
    cdef double scaled, r, v
    for i in range(n):
        frexp(x[i], &e)
        shift = e - 1
        if shift < min_exponent:
            shift = min_exponent
        shift -= mantissa_bits
        scaled = ldexp(x[i], -shift)
        if stochastic:
            r = floor(scaled + u[i])
        else:
            r = rint(scaled)
        v = ldexp(r, shift)
        if fabs(v) > max_value:
            if overflow == 0:
                v = copysign(max_value, v)
            elif overflow == 1:
                v = copysign(INFINITY, v)
            else:
                v = NAN
        q[i] = v
    return out


def quantize_int_kernel(const double[::1] x, const double[::1] u, double scale, int64_t qmin,
                        int64_t qmax):
    """Integer codes of x / scale, rounded (RNE or stochastic) and saturated to [qmin, qmax]."""
    cdef Py_ssize_t n = x.shape[0], i
    cdef bint stochastic = u.shape[0] > 0
    out = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] q = out
    cdef double s, r
    for i in range(n):
        s = x[i] / scale
        r = floor(s + u[i]) if stochastic else rint(s)
        if r < <double>qmin:
            r = <double>qmin
        elif r > <double>qmax:
            r = <double>qmax
        q[i] = <int64_t>r
    return out


cdef inline int64_t _limit(int64_t acc, int acc_bits, int wrap) noexcept nogil:
    cdef int64_t low = -((<int64_t>1) << (acc_bits - 1))
    cdef int64_t mask = ((<int64_t>1) << acc_bits) - 1
    if wrap:
        return ((acc - low) & mask) + low
    if acc < low:
        return low
    if acc > -low - 1:
        return -low - 1
    return acc


def int_accumulate_kernel(const int64_t[::1] values, int acc_bits, int wrap):
    """Running sums in an acc_bits accumulator that saturates or wraps after every addition."""
    cdef Py_ssize_t n = values.shape[0], i
    out = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] o = out
    cdef int64_t acc = 0
    for i in range(n):
        acc = _limit(acc + values[i], acc_bits, wrap)
        o[i] = acc
    return out


def int_matmul_kernel(const int64_t[:, ::1] a, const int64_t[:, ::1] b, int acc_bits, int wrap):
    """a @ b with every output accumulated in order k = 0..K-1 in an acc_bits accumulator."""
    cdef Py_ssize_t m = a.shape[0], kk = a.shape[1], n = b.shape[1], i, j, k
    out = np.zeros((m, n), dtype=np.int64)
    cdef int64_t[:, ::1] o = out
    cdef int64_t acc
    with nogil:
        for i in range(m):
            for j in range(n):
                acc = 0
                for k in range(kk):
                    acc = _limit(acc + a[i, k] * b[k, j], acc_bits, wrap)
                o[i, j] = acc
    return out


def lns_round_kernel(const double[::1] scaled_log, const double[::1] u, int64_t code_min,
                     int64_t code_max):
    """Round log2|x| * 2**F to LNS codes; returns (underflow flags int8, codes int64)."""
    cdef Py_ssize_t n = scaled_log.shape[0], i
    cdef bint stochastic = u.shape[0] > 0
    under_arr = np.empty(n, dtype=np.int8)
    code_arr = np.empty(n, dtype=np.int64)
    cdef int8_t[::1] under = under_arr
    cdef int64_t[::1] code = code_arr
    cdef double r
    for i in range(n):
        r = floor(scaled_log[i] + u[i]) if stochastic else rint(scaled_log[i])
        if r < <double>code_min:
            under[i] = 1
            code[i] = 0
        else:
            under[i] = 0
            code[i] = code_max if r > <double>code_max else <int64_t>r
    return under_arr, code_arr


cdef struct LnsParams:
    int fraction_bits
    double scale
    double inv_scale
    int64_t code_min
    int64_t code_max
    double z_min
    double plus_inv_step
    double minus_inv_step
    Py_ssize_t table_size
    Py_ssize_t near_codes
    const double* plus
    const double* minus
    const double* near


cdef double _RINT_MAGIC = 6755399441055744.0  # 1.5 * 2**52


cdef inline double _rint(double x) noexcept nogil:
    """Round to nearest, ties to even, for |x| < 2**51 (the addition rounds in the FPU's default
    mode, exactly like rint, without a library call)."""
    if x >= 0:
        return (x + _RINT_MAGIC) - _RINT_MAGIC
    return -((-x + _RINT_MAGIC) - _RINT_MAGIC)


cdef struct LnsValue:
    int8_t sign
    int64_t code


cdef inline LnsValue _mul(int8_t sa, int64_t ca, int8_t sb, int64_t cb,
                          const LnsParams* p) noexcept nogil:
    cdef LnsValue r
    r.sign = sa * sb
    r.code = ca + cb
    if r.code < p.code_min:
        r.sign = 0
    if r.sign == 0:
        r.code = 0
    elif r.code > p.code_max:
        r.code = p.code_max
    return r


cdef inline double _interp(const double* t, double z, double z_min, double inv_step,
                           Py_ssize_t size) noexcept nogil:
    cdef double pos = (z - z_min) * inv_step
    cdef double fi = <double>(<int64_t>pos)  # floor: pos >= 0 here (z >= z_min)
    if fi > <double>(size - 2):
        fi = <double>(size - 2)
    cdef double frac = pos - fi
    cdef Py_ssize_t i = <Py_ssize_t>fi
    return t[i] + frac * (t[i + 1] - t[i])


cdef inline LnsValue _add(int8_t sa, int64_t ca, int8_t sb, int64_t cb,
                          const LnsParams* p) noexcept nogil:
    cdef int8_t s_hi, s_lo
    cdef int64_t c_hi, c_lo, d, k, code
    cdef double z, g
    cdef LnsValue r
    if sb == 0 or (sa != 0 and ca >= cb):
        s_hi = sa; c_hi = ca; s_lo = sb; c_lo = cb
    else:
        s_hi = sb; c_hi = cb; s_lo = sa; c_lo = ca
    if s_lo == 0:
        r.sign = s_hi
        r.code = c_hi if s_hi != 0 else 0
        return r
    d = c_lo - c_hi
    z = <double>d * p.inv_scale  # exact: a power-of-two scaling, same as ldexp
    if s_hi == s_lo:
        if z < p.z_min:
            g = 0.0
        else:
            g = _interp(p.plus, z, p.z_min, p.plus_inv_step, p.table_size)
    else:
        if d == 0:
            r.sign = 0
            r.code = 0
            return r
        k = -d
        if z < p.z_min:
            g = 0.0
        elif k <= p.near_codes:
            g = p.near[k]
        else:
            g = _interp(p.minus, z, p.z_min, p.minus_inv_step, p.table_size)
    code = c_hi + <int64_t>_rint(g * p.scale)
    if code < p.code_min:
        r.sign = 0
        r.code = 0
        return r
    if code > p.code_max:
        code = p.code_max
    r.sign = s_hi
    r.code = code
    return r


cdef LnsParams _params(int fraction_bits, int64_t code_min, int64_t code_max, tables,
                       const double[::1] plus, const double[::1] minus, const double[::1] near):
    cdef LnsParams p
    p.fraction_bits = fraction_bits
    p.scale = ldexp(1.0, fraction_bits)
    p.inv_scale = ldexp(1.0, -fraction_bits)
    p.code_min = code_min
    p.code_max = code_max
    p.z_min = tables.z_min
    p.plus_inv_step = 1.0 / tables.plus_step
    p.minus_inv_step = 1.0 / tables.minus_step
    p.table_size = plus.shape[0]
    p.near_codes = near.shape[0] - 1
    p.plus = &plus[0]
    p.minus = &minus[0]
    p.near = &near[0]
    return p


def lns_mul_kernel(const int8_t[::1] sa, const int64_t[::1] ca, const int8_t[::1] sb,
                   const int64_t[::1] cb, int64_t code_min, int64_t code_max):
    """Elementwise LNS product of 1-D arrays: (sign int8, code int64)."""
    cdef Py_ssize_t n = sa.shape[0], i
    cdef LnsParams p
    p.code_min = code_min
    p.code_max = code_max
    s_arr = np.empty(n, dtype=np.int8)
    c_arr = np.empty(n, dtype=np.int64)
    cdef int8_t[::1] s = s_arr
    cdef int64_t[::1] c = c_arr
    cdef LnsValue r
    for i in range(n):
        r = _mul(sa[i], ca[i], sb[i], cb[i], &p)
        s[i] = r.sign
        c[i] = r.code
    return s_arr, c_arr


def lns_add_kernel(const int8_t[::1] sa, const int64_t[::1] ca, const int8_t[::1] sb,
                   const int64_t[::1] cb, int fraction_bits, int64_t code_min, int64_t code_max,
                   tables):
    """Elementwise LNS sum of 1-D arrays using the G+/G- tables: (sign int8, code int64)."""
    cdef const double[::1] plus = tables.plus
    cdef const double[::1] minus = tables.minus
    cdef const double[::1] near = tables.near
    cdef LnsParams p = _params(fraction_bits, code_min, code_max, tables, plus, minus, near)
    cdef Py_ssize_t n = sa.shape[0], i
    s_arr = np.empty(n, dtype=np.int8)
    c_arr = np.empty(n, dtype=np.int64)
    cdef int8_t[::1] s = s_arr
    cdef int64_t[::1] c = c_arr
    cdef LnsValue r
    with nogil:
        for i in range(n):
            r = _add(sa[i], ca[i], sb[i], cb[i], &p)
            s[i] = r.sign
            c[i] = r.code
    return s_arr, c_arr


def lns_matmul_kernel(const int8_t[:, ::1] sa, const int64_t[:, ::1] ca, sb_in, cb_in,
                      int fraction_bits, int64_t code_min, int64_t code_max, tables):
    """LNS a @ b: products by code addition, each output accumulated in LNS in order k."""
    cdef const int8_t[:, ::1] sbt = np.ascontiguousarray(np.asarray(sb_in, dtype=np.int8).T)
    cdef const int64_t[:, ::1] cbt = np.ascontiguousarray(np.asarray(cb_in, dtype=np.int64).T)
    cdef const double[::1] plus = tables.plus
    cdef const double[::1] minus = tables.minus
    cdef const double[::1] near = tables.near
    cdef LnsParams p = _params(fraction_bits, code_min, code_max, tables, plus, minus, near)
    cdef Py_ssize_t m = sa.shape[0], kk = sa.shape[1], n = sbt.shape[0], i, j, k
    s_arr = np.zeros((m, n), dtype=np.int8)
    c_arr = np.zeros((m, n), dtype=np.int64)
    cdef int8_t[:, ::1] s = s_arr
    cdef int64_t[:, ::1] c = c_arr
    cdef LnsValue acc, prod, acc0, acc1, acc2, acc3, p0, p1, p2, p3
    cdef Py_ssize_t n4 = n - n % 4
    with nogil:
        for i in range(m):
            # Four outputs at a time: each LNS add depends on the previous one (a long latency
            # chain), so interleaving independent accumulators keeps the pipeline busy. Every
            # output is still summed in order k, so the bits do not change.
            for j in range(0, n4, 4):
                acc0.sign = 0; acc0.code = 0
                acc1.sign = 0; acc1.code = 0
                acc2.sign = 0; acc2.code = 0
                acc3.sign = 0; acc3.code = 0
                for k in range(kk):
                    p0 = _mul(sa[i, k], ca[i, k], sbt[j, k], cbt[j, k], &p)
                    p1 = _mul(sa[i, k], ca[i, k], sbt[j + 1, k], cbt[j + 1, k], &p)
                    p2 = _mul(sa[i, k], ca[i, k], sbt[j + 2, k], cbt[j + 2, k], &p)
                    p3 = _mul(sa[i, k], ca[i, k], sbt[j + 3, k], cbt[j + 3, k], &p)
                    acc0 = _add(acc0.sign, acc0.code, p0.sign, p0.code, &p)
                    acc1 = _add(acc1.sign, acc1.code, p1.sign, p1.code, &p)
                    acc2 = _add(acc2.sign, acc2.code, p2.sign, p2.code, &p)
                    acc3 = _add(acc3.sign, acc3.code, p3.sign, p3.code, &p)
                s[i, j] = acc0.sign; c[i, j] = acc0.code
                s[i, j + 1] = acc1.sign; c[i, j + 1] = acc1.code
                s[i, j + 2] = acc2.sign; c[i, j + 2] = acc2.code
                s[i, j + 3] = acc3.sign; c[i, j + 3] = acc3.code
            for j in range(n4, n):
                acc.sign = 0
                acc.code = 0
                for k in range(kk):
                    prod = _mul(sa[i, k], ca[i, k], sbt[j, k], cbt[j, k], &p)
                    acc = _add(acc.sign, acc.code, prod.sign, prod.code, &p)
                s[i, j] = acc.sign
                c[i, j] = acc.code
    return s_arr, c_arr


def naive_sum_kernel(const real[::1] x):
    """Left-to-right sum in x's precision."""
    cdef real total = 0
    cdef Py_ssize_t i
    for i in range(x.shape[0]):
        total = total + x[i]
    return total


def kahan_sum_kernel(const real[::1] x):
    """Kahan-compensated left-to-right sum in x's precision."""
    cdef real total = 0, carry = 0, y, t
    cdef Py_ssize_t i
    for i in range(x.shape[0]):
        y = x[i] - carry
        t = total + y
        carry = (t - total) - y
        total = t
    return total


def kahan_update_kernel(const real[::1] w, const real[::1] carry, const real[::1] delta):
    """Compensated w += delta per element; returns new (w, carry) arrays."""
    cdef Py_ssize_t n = w.shape[0], i
    dtype = np.float32 if real is float else np.float64
    w_arr = np.empty(n, dtype=dtype)
    c_arr = np.empty(n, dtype=dtype)
    cdef real[::1] wo = w_arr
    cdef real[::1] co = c_arr
    cdef real y, t
    for i in range(n):
        y = delta[i] - carry[i]
        t = w[i] + y
        co[i] = (t - w[i]) - y
        wo[i] = t
    return w_arr, c_arr
