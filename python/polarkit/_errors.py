"""polarkit's exceptions: one class per error code of the library, under polarkit.Error."""


class Error(Exception):
    """Any failure polarkit reports (the message is the library's, intact)."""


class InvalidArgumentError(Error, ValueError):
    """A shape, dtype, option or argument polarkit does not accept."""


class NonFiniteInputError(Error, ValueError):
    """The input holds NaN or Inf (checked before any work)."""


class BackendFailureError(Error, RuntimeError):
    """BLAS/LAPACK or CUDA reported an error or did not converge."""


class NotCompiledError(Error, RuntimeError):
    """The requested backend or feature is not part of this build."""


class IoError(Error, OSError):
    """A file could not be read, is malformed or is unsupported."""


class OutOfMemoryError(Error, MemoryError):
    """Memory for a matrix or workspace could not be had."""


_BY_CODE = {
    1: InvalidArgumentError,
    2: NonFiniteInputError,
    3: BackendFailureError,
    4: NotCompiledError,
    5: IoError,
    6: OutOfMemoryError,
}


def error_class(code):
    """The exception class of a library error code (the compiled module raises through it)."""
    return _BY_CODE.get(code, Error)
