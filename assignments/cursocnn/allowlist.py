"""Lo que tu código puede usar en las funciones que implementas tú: la lista publicada.

The ONE place where the "implement it yourself" allow-list lives (COURSE.md summarises it for
students, docs/security.md for instructors; `python -m cursocnn.allowlist` prints it). The rule
that applies it is cursocnn/implementation_check.py, in the grader and in the kit's self-check.

The code reachable from a graded "implement it yourself" function, and all code that runs when the
submission is loaded, may reach:
- the student's own functions, classes, methods and variables (followed, never matched by name);
- the builtins of ALLOWED_BUILTINS (none reaches an object by a computed name or runs text;
  getattr only with a literal attribute name, which is read as that attribute);
- the dotted names of ALLOWED_NAMES and members of the modules in ALLOWED_MODULE_MEMBERS
  (torch and numpy creation, indexing and shape, elementwise, reductions, matmul/einsum/tensordot,
  Tensor.unfold, sliding_window_view/as_strided, F.pad, dtype/device helpers; harmless standard
  library names);
- on any other value (a tensor, an array, a list, a number, an object of the student's), the
  attributes of ALLOWED_ATTRIBUTES and the attributes the student's own code defines.
Anything else is "cannot verify". FORBIDDEN only words the message precisely ("you used F.conv2d").
Only the standard library, no imports of the course's own packages.
"""
from __future__ import annotations

import re
import sys

# The functions the rule covers: the ones the hidden suites call with guard=True (the grader's
# declarations mark them; the kit ships without the grader, hence this copy).
# BEGIN GENERATED: python -m autograder.cli.kit_copies (the declarations' guarded=True)
GUARDED = ("corr2d", "corr2d_pad_stride", "corr2d_multi_in", "corr2d_multi_in_out",
           "corr2d_multi_in_out_1x1", "pool2d", "pool2d_pad_stride")
# END GENERATED

# Student helpers the grader replaces with its own correct version while it grades another
# function (autograder/sandboxed/worker/stand_ins.py HELPERS): a graded function is judged without them.
STAND_INS = ("corr2d", "corr2d_multi_in")


def _words(text: str) -> frozenset:
    return frozenset(text.split())


ALLOWED_BUILTINS = _words("""
    abs all any bin bool bytearray bytes callable chr classmethod complex dict divmod enumerate
    filter float format frozenset hasattr hash hex id int isinstance issubclass iter len list
    map max min next object oct ord pow print property range repr reversed round set slice sorted
    staticmethod str sum super tuple type zip getattr NotImplemented Ellipsis __name__ __doc__
    ArithmeticError AssertionError AttributeError BaseException Exception IndexError KeyError
    LookupError NotImplementedError OverflowError RuntimeError StopIteration TypeError
    ValueError ZeroDivisionError Warning UserWarning RuntimeWarning DeprecationWarning
""")
# getattr is listed because getattr(obj, "amax") and getattr(obj, "a" if c else "b") are read as
# the attribute(s) they name; with any other name argument it is "cannot verify".

_TORCH = _words("""
    tensor as_tensor asarray from_numpy zeros ones empty full zeros_like ones_like empty_like
    full_like arange linspace logspace eye rand randn randint rand_like randn_like randint_like
    randperm normal manual_seed seed Generator
    stack cat concat concatenate hstack vstack dstack column_stack row_stack reshape flatten
    unflatten squeeze unsqueeze transpose t permute movedim moveaxis swapaxes swapdims flip fliplr
    flipud rot90 roll narrow select index_select gather take take_along_dim where masked_select
    nonzero argwhere split chunk tensor_split unbind broadcast_to broadcast_tensors broadcast_shapes
    tile repeat_interleave meshgrid as_strided diag diagonal diag_embed triu tril trace
    einsum tensordot matmul mm bmm mv dot vdot outer inner kron addmm baddbmm
    sum mean nanmean amax amin max min aminmax prod cumsum cumprod argmax argmin std var median
    norm dist count_nonzero sort argsort topk kthvalue logsumexp
    abs absolute exp exp2 expm1 log log2 log10 log1p sqrt rsqrt square pow float_power mul
    multiply add sub subtract div divide true_divide floor_divide remainder fmod neg negative sign
    clamp clip maximum minimum fmax fmin round floor ceil trunc frac reciprocal sigmoid tanh relu
    softmax log_softmax sin cos sinh cosh lerp addcmul addcdiv
    allclose isclose equal eq ne lt le gt ge greater less isfinite isnan isinf isneginf isposinf
    all any numel is_tensor is_floating_point is_complex is_nonzero logical_and logical_or
    logical_not logical_xor bitwise_and bitwise_or nan_to_num
    promote_types result_type can_cast get_default_dtype set_default_dtype set_printoptions
    no_grad enable_grad inference_mode set_grad_enabled is_grad_enabled
    Tensor Size dtype device finfo iinfo float16 float32 float64 float double half bfloat16
    int int8 int16 int32 int64 long short uint8 bool complex64 complex128 cfloat cdouble
    inf nan pi e newaxis
""")
_NUMPY = _words("""
    array asarray asanyarray ascontiguousarray asfarray copy zeros ones empty full zeros_like
    ones_like empty_like full_like arange linspace logspace eye identity indices mgrid ogrid
    meshgrid ndindex ndenumerate nditer
    stack concatenate hstack vstack dstack column_stack row_stack block reshape ravel squeeze
    expand_dims transpose moveaxis swapaxes rollaxis flip fliplr flipud rot90 roll pad tile repeat
    broadcast_to broadcast_arrays split array_split take take_along_axis put where nonzero
    argwhere diag diagonal trace triu tril atleast_1d atleast_2d atleast_3d
    einsum tensordot matmul dot vdot inner outer kron
    sum nansum mean nanmean average max min amax amin nanmax nanmin prod cumsum cumprod argmax
    argmin std var median ptp count_nonzero sort argsort
    abs absolute fabs exp exp2 expm1 log log2 log10 log1p sqrt square power float_power multiply
    add subtract divide true_divide floor_divide remainder mod fmod negative sign clip maximum
    minimum fmax fmin round around rint floor ceil trunc reciprocal tanh sin cos
    allclose isclose array_equal array_equiv equal not_equal less less_equal greater
    greater_equal isfinite isnan isinf all any logical_and logical_or logical_not nan_to_num
    shape ndim size result_type promote_types can_cast finfo iinfo errstate seterr
    set_printoptions printoptions
    ndarray dtype float16 float32 float64 float_ double single half longdouble int8 int16 int32
    int64 intp uint8 int_ bool_ complex64 complex128 inf nan pi e newaxis
""")
_STRIDE_TRICKS = _words("sliding_window_view as_strided")
_NN_FUNCTIONAL = _words("pad relu sigmoid tanh softmax log_softmax")
# torch.nn building blocks that are neither a convolution nor a pooling (a class of the student's
# may derive from them; LeNet's layers are graded by other means).
_NN = _words("""
    Module Parameter Sequential ModuleList ModuleDict Identity Linear LazyLinear Flatten Unflatten
    Sigmoid ReLU Tanh Softmax LogSoftmax LeakyReLU GELU Dropout BatchNorm1d BatchNorm2d
    CrossEntropyLoss MSELoss NLLLoss L1Loss
""")

# Fully qualified names that may be reached (and the modules named by their dotted prefix).
ALLOWED_NAMES = frozenset(
    [f"torch.{n}" for n in _TORCH] + [f"numpy.{n}" for n in _NUMPY]
    + [f"numpy.lib.stride_tricks.{n}" for n in _STRIDE_TRICKS]
    + [f"torch.nn.functional.{n}" for n in _NN_FUNCTIONAL]
    + [f"torch.nn.{n}" for n in _NN]
    + ["torch.nn.parameter.Parameter",
       "torch.nn.modules.utils._pair", "torch.nn.modules.utils._single",
       "torch.nn.modules.utils._triple", "torch.nn.modules.utils._ntuple",
       "functools.reduce", "functools.partial", "functools.lru_cache", "functools.cache",
       "functools.wraps", "functools.cached_property", "functools.total_ordering",
       "operator.add", "operator.sub", "operator.mul", "operator.truediv", "operator.floordiv",
       "operator.mod", "operator.pow", "operator.neg", "operator.pos", "operator.abs",
       "operator.eq", "operator.ne", "operator.lt", "operator.le", "operator.gt", "operator.ge",
       "operator.matmul", "operator.index", "operator.itemgetter", "operator.and_",
       "operator.or_", "operator.not_",
       "dataclasses.dataclass", "dataclasses.field", "dataclasses.fields", "dataclasses.asdict",
       "dataclasses.astuple", "dataclasses.replace", "dataclasses.InitVar",
       "copy.copy", "copy.deepcopy", "warnings.warn", "time.time", "time.perf_counter",
       "time.monotonic", "time.process_time", "time.sleep",
       "abc.ABC", "abc.abstractmethod", "enum.Enum", "enum.IntEnum", "enum.auto",
       "sys.maxsize", "sys.float_info", "sys.version_info",
       "torch.cuda.is_available", "torch.cuda.device_count", "torch.get_num_threads",
       "torch.set_num_threads", "torch.backends.mps.is_available", "torch.testing.assert_close"]
    + [f"typing.{n}" for n in _words("""
        Any Optional Union Tuple List Dict Set FrozenSet Sequence MutableSequence Iterable
        Iterator Generator Callable Literal TypeVar Generic NamedTuple Mapping MutableMapping
        cast overload Final ClassVar Protocol TypeAlias Annotated TYPE_CHECKING Type SupportsInt
        SupportsFloat SupportsIndex Collection Hashable Sized""")])
# Modules every public member of which is fine (a member that is itself a module or names a
# computed-name helper is still refused by the rule's other checks).
ALLOWED_MODULE_MEMBERS = ("math", "cmath", "itertools", "collections", "collections.abc",
                          "random", "statistics", "numbers", "fractions", "decimal",
                          "torch.linalg", "numpy.linalg", "numpy.random", "torch.nn.init")
# Module objects that may be the root of a dotted name (never a value: `m = F` or `f(np)`
# would hide which member is used later).
MODULES = frozenset(("torch", "torch.nn", "torch.nn.functional", "torch.nn.modules",
                     "torch.nn.modules.utils", "torch.nn.parameter", "numpy", "numpy.lib",
                     "numpy.lib.stride_tricks", "functools", "operator", "dataclasses", "copy",
                     "warnings", "time", "abc", "enum", "typing", "sys")
                    + ALLOWED_MODULE_MEMBERS)

# Attributes fine on any value: tensor, ndarray, number, list, dict, set, str, Generator.
ALLOWED_ATTRIBUTES = _words("""
    shape dtype device ndim T mT H data grad requires_grad is_cuda is_leaf names layout
    size numel dim item tolist numpy cpu cuda to type type_as float double half int long bool
    short byte char clone detach detach_ contiguous copy_ fill_ zero_ view view_as reshape
    reshape_as flatten unflatten ravel squeeze unsqueeze squeeze_ unsqueeze_ transpose t permute
    movedim flip fliplr flipud roll rot90 expand expand_as repeat repeat_interleave unfold narrow
    select index_select gather scatter scatter_ scatter_add index_add_ index_copy_ index_fill_
    masked_fill masked_fill_ masked_select masked_scatter nonzero where tile split chunk unbind
    new_zeros new_ones new_full new_empty new_tensor is_floating_point is_contiguous is_complex
    stride storage_offset as_strided element_size nelement
    sum nansum mean nanmean amax amin max min aminmax prod cumsum cumprod argmax argmin std var
    median norm sort argsort topk kthvalue logsumexp count_nonzero
    abs abs_ exp log log2 log10 log1p sqrt rsqrt square pow pow_ mul mul_ add add_ sub sub_ div
    div_ true_divide floor_divide remainder fmod neg sign clamp clamp_ clip clip_ maximum minimum
    round floor ceil trunc frac reciprocal sigmoid tanh relu softmax log_softmax sin cos lerp
    addcmul addcmul_ addcdiv addcdiv_ addmm matmul mm bmm mv dot outer inner
    all any eq ne lt le gt ge equal allclose isclose isfinite isnan isinf logical_and logical_or
    logical_not requires_grad_ backward retain_grad register_hook grad_fn zero_grad
    astype strides itemsize nbytes fill take put real imag conj
    append extend insert pop remove index count copy clear reverse keys values items get update
    setdefault popitem add discard union intersection difference symmetric_difference issubset
    issuperset join format startswith endswith strip lstrip rstrip lower upper replace
    partition rpartition splitlines title capitalize center ljust rjust zfill isdigit isalpha
    is_integer bit_length conjugate numerator denominator
    random uniform gauss normal standard_normal integers choice shuffle sample randint seed
    permutation randrange
    weight bias
""")
# Dunder attributes fine on any value (the others expose namespaces, code or dispatch).
ALLOWED_DUNDERS = frozenset(("__init__", "__name__", "__qualname__", "__doc__", "__len__",
                             "__getitem__", "__call__"))
# Dunder methods a student class may define; __torch_function__/__torch_dispatch__ would also
# change what every torch call does and hide work from the grader's counter.
COUNTER_DUNDERS = frozenset(("__torch_function__", "__torch_dispatch__"))

# Top-level modules an `import` may load: the standard library and the course's libraries.
# (Importing runs only library code; what a module's members may do is decided where they are
# used.) Anything else, and relative imports, would run code the rule cannot read.
IMPORTABLE = frozenset(sys.stdlib_module_names) | frozenset((
    "torch", "torchvision", "numpy", "matplotlib", "scipy", "pandas", "PIL", "tqdm", "IPython",
    "ipywidgets", "seaborn", "sklearn", "cursocnn", "d2l", "typing_extensions"))
# Libraries whose public names are simply "not on the list" (not an escape: no tampering).
LIBRARIES = ("torch", "torchvision", "numpy", "matplotlib", "scipy", "pandas", "PIL", "tqdm",
             "seaborn", "sklearn", "cursocnn", "d2l", "IPython", "ipywidgets")

# ------------------------------------------------------------------------------------------
# Forbidden: only to name precisely what the student used (everything unlisted is refused anyway).

FORBIDDEN_NAME = re.compile(
    r"^_*(?:"
    r"conv(?:_transpose)?[123]d(?:_input|_weight|_backward\w*)?|conv_tbc\w*|conv_depthwise\w*|"
    r"convolution\w*|conv_forward|\w*_convolution\w*|slow_conv\w*|thnn_conv\w*|"
    r"\w+_conv(?:_transpose)?[123]d\w*|"
    r"(?:quantized_|mkldnn_|mps_|cudnn_)?(?:max|avg)_pool[123]d\w*|"
    r"adaptive_(?:max|avg)_pool[123]d\w*|lp_pool[123]d|fractional_max_pool[123]d\w*|"
    r"im2col\w*|col2im\w*|"
    r"(?:Lazy)?Conv(?:Transpose)?[123]d|(?:Adaptive)?(?:Max|Avg)Pool[123]d|LPPool[123]d|"
    r"FractionalMaxPool[123]d|Unfold|Fold"
    r")$")
FORBIDDEN_PREFIXES = (
    "torch.nn.functional.unfold", "torch.nn.functional.fold", "torch.nn.functional.interpolate",
    "torch.nn.functional.upsample", "torch.nn.Upsample", "torch.nn.grad",
    "torch.nn.modules.conv", "torch.nn.modules.pooling", "torch.nn.modules.fold",
    "numpy.correlate", "numpy.convolve", "numpy.fft", "torch.fft",
    "scipy.signal", "scipy.ndimage", "cv2", "skimage.filters", "skimage.measure.block_reduce",
    "skimage.util.view_as_windows", "torchvision.ops", "kornia", "tensorflow", "jax",
)
_FORBIDDEN_ROOTS = ("torch", "torchvision", "numpy", "scipy")


def is_forbidden(path: str) -> bool:
    """A dotted name of a library helper that does the job (convolution, pooling, im2col)."""
    if any(path == p or path.startswith(p + ".") for p in FORBIDDEN_PREFIXES):
        return True
    parts = path.split(".")
    return parts[0] in _FORBIDDEN_ROOTS and any(FORBIDDEN_NAME.match(p) for p in parts[1:])


def is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def attribute_allowed(name: str) -> bool:
    """An attribute fine on any value (student-defined attributes are added by the rule)."""
    return name in ALLOWED_DUNDERS if is_dunder(name) else name in ALLOWED_ATTRIBUTES


def name_allowed(path: str) -> bool:
    """A fully qualified dotted name on the list (not a module used as a value: see MODULES)."""
    if path in ALLOWED_NAMES or path in MODULES:
        return True
    owner, _, member = path.rpartition(".")
    return owner in ALLOWED_MODULE_MEMBERS and not member.startswith("_")


def summary_lines() -> list[str]:
    """The list, for people (docs/security.md is checked against it)."""
    out = ["builtins: " + " ".join(sorted(ALLOWED_BUILTINS))]
    out.append("names: " + " ".join(sorted(ALLOWED_NAMES)))
    out.append("every public member of: " + " ".join(ALLOWED_MODULE_MEMBERS))
    out.append("attributes of any value: " + " ".join(sorted(ALLOWED_ATTRIBUTES | ALLOWED_DUNDERS)))
    return out


if __name__ == "__main__":
    print("\n\n".join(summary_lines()))
