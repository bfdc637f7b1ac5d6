"""An HDF5 file is data and nothing else: every object walked at the low level before anything reads it.

HDF5 can make a reader open other files and run plug-ins: an external link
names another file, a soft link another path, external raw storage keeps a
dataset's bytes in any file of the machine (`../secret_key`), a virtual
dataset maps other files' datasets, references point at objects or regions,
and a filter other than the library's own loads a plug-in. A small file can
also declare far more data than it holds (a compressed or never-written
dataset is expanded in memory when read). Keras follows all of these when it
loads a model, so `audit_hdf5` refuses them first, naming the object.

What a network file may hold: groups joined by hard links, datasets of
numbers stored in the file itself (contiguous, compact or chunked, with no
filter or the built-in deflate, shuffle and Fletcher-32 that h5py offers),
and attributes of numbers or strings. Nothing is read but the file's own
metadata: no dataset's data, no attribute's value.
"""

from __future__ import annotations

from dataclasses import dataclass

import h5py
from h5py import h5a, h5d, h5l, h5o, h5t, h5z

from golois.errors import GoloisError
from golois.network.limits import PARAMETER_LIMIT

# A network within the limit stores at most 100,000 trainable weights, BatchNorm's statistics (two numbers a
# channel) and, when saved with its optimizer, two slots a weight (Adam): under 5 times the limit. Twenty
# times, in 8-byte numbers, leaves room for any such file and caps what loading can expand to at 16 MB.
MAX_STORED_NUMBERS = 20 * PARAMETER_LIMIT
MAX_STORED_BYTES = 8 * MAX_STORED_NUMBERS
MAX_OBJECTS = 50_000  # groups and datasets; a 30-block network with its optimizer has a few thousand
MAX_ATTRIBUTE_BYTES = 16 * 1024 * 1024  # declared size of all attributes (the architecture JSON is one)
ALLOWED_FILTERS = {h5z.FILTER_DEFLATE: "deflate", h5z.FILTER_SHUFFLE: "shuffle", h5z.FILTER_FLETCHER32: "fletcher32"}
NUMBER_CLASSES = {h5t.INTEGER, h5t.FLOAT, h5t.ENUM}  # h5py stores booleans as an enum of integers
LINK_TYPES = {h5l.TYPE_SOFT: "a soft link", h5l.TYPE_EXTERNAL: "an external link (to another file)"}
LAYOUTS = {h5d.COMPACT, h5d.CONTIGUOUS, h5d.CHUNKED}


class UnsafeHDF5(GoloisError, ValueError):
    """A file that holds more than data; the message names the object and what it is."""


@dataclass
class AuditReport:
    objects: int = 0
    stored_numbers: int = 0  # elements of all datasets, as declared
    stored_bytes: int = 0  # what reading every dataset would take in memory
    attribute_bytes: int = 0  # declared size of every attribute (a variable-length text counts its handle)

    def describe(self) -> str:
        return (f"{self.objects:,} objects, {self.stored_numbers:,} stored numbers ({self.stored_bytes:,} bytes "
                f"decompressed; at most {MAX_STORED_BYTES:,})")


def audit_hdf5(h5: h5py.File) -> AuditReport:
    """Walks every link, object and attribute of an open file; raises UnsafeHDF5 at the first one that is
    more than data, or when the file declares more than MAX_STORED_BYTES of datasets."""
    report = AuditReport()
    seen: set[tuple[int, int]] = set()  # objects by (file number, address): hard links may share or loop
    pending: list[tuple[str, h5py.h5g.GroupID]] = [("/", h5.id)]
    _audit_attributes(h5.id, "/", report)
    while pending:
        path, group = pending.pop()
        for name, link_type in _links(group):
            child = f"{path.rstrip('/')}/{name}"
            if link_type != h5l.TYPE_HARD:
                kind = LINK_TYPES.get(link_type, f"a user-defined link (type {link_type})")
                raise UnsafeHDF5(f"{child} is {kind}; a network file may only hold its own data")
            obj = h5o.open(group, name.encode())
            key = (h5o.get_info(obj).fileno, h5o.get_info(obj).addr)
            if key in seen:
                continue
            seen.add(key)
            report.objects += 1
            if report.objects > MAX_OBJECTS:
                raise UnsafeHDF5(f"the file holds more than {MAX_OBJECTS:,} objects; a network has a few thousand")
            _audit_attributes(obj, child, report)
            if isinstance(obj, h5py.h5g.GroupID):
                pending.append((child, obj))
            elif isinstance(obj, h5py.h5d.DatasetID):
                _audit_dataset(obj, child, report)
            else:
                raise UnsafeHDF5(f"{child} is a named datatype; a network file holds only groups and datasets")
    return report


def _links(group: h5py.h5g.GroupID) -> list[tuple[str, int]]:
    """The group's links as (name, link type). The type is read in the callback: h5py hands every call the
    same LinkInfo object, so one kept for later shows the last link's type."""
    found: list[tuple[str, int]] = []

    def visit(name: bytes, info: h5l.LinkInfo) -> None:
        found.append((name.decode("utf-8", "replace"), info.type))
        if len(found) > MAX_OBJECTS:
            raise UnsafeHDF5(f"a group holds more than {MAX_OBJECTS:,} links")

    group.links.iterate(visit, info=True)
    return found


def _audit_dataset(dataset: h5py.h5d.DatasetID, path: str, report: AuditReport) -> None:
    plist = dataset.get_create_plist()
    if plist.get_external_count():
        name = plist.get_external(0)[0].decode("utf-8", "replace")
        raise UnsafeHDF5(f"{path} keeps its data in another file ({name!r}: external storage); a network file "
                         "must hold its own weights")
    layout = plist.get_layout()
    if layout == h5d.VIRTUAL:
        raise UnsafeHDF5(f"{path} is a virtual dataset (made of other files' data); a network file must hold "
                         "its own weights")
    if layout not in LAYOUTS:
        raise UnsafeHDF5(f"{path} has an unknown storage layout ({layout})")
    for index in range(plist.get_nfilters()):
        code, _flags, _values, name = plist.get_filter(index)
        if code not in ALLOWED_FILTERS:
            label = name.decode("utf-8", "replace") or "unnamed"
            raise UnsafeHDF5(f"{path} is stored with filter {code} ({label}); only "
                             f"{', '.join(ALLOWED_FILTERS.values())} are accepted (no plug-in is ever loaded)")
    dtype = dataset.get_type()
    if dtype.get_class() not in NUMBER_CLASSES:
        raise UnsafeHDF5(f"{path} holds {_type_name(dtype)}, not numbers")
    count = dataset.get_space().get_simple_extent_npoints()
    report.stored_numbers += count
    report.stored_bytes += count * dtype.get_size()
    if report.stored_bytes > MAX_STORED_BYTES:
        raise UnsafeHDF5(f"the file's datasets expand to more than {MAX_STORED_BYTES:,} bytes (at {path}); a "
                         f"network within the limit of {PARAMETER_LIMIT:,} parameters stores far less")


def _audit_attributes(obj: object, path: str, report: AuditReport) -> None:
    for index in range(h5o.get_info(obj).num_attrs):
        attribute = h5a.open(obj, index=index)
        name = attribute.get_name().decode("utf-8", "replace")
        dtype = attribute.get_type()
        kind = dtype.get_class()
        if kind != h5t.STRING and kind not in NUMBER_CLASSES:
            raise UnsafeHDF5(f"attribute {name!r} of {path} holds {_type_name(dtype)}, not numbers or text")
        report.attribute_bytes += attribute.get_space().get_simple_extent_npoints() * dtype.get_size()
        if report.attribute_bytes > MAX_ATTRIBUTE_BYTES:
            raise UnsafeHDF5(f"the file's attributes take more than {MAX_ATTRIBUTE_BYTES:,} bytes (at attribute "
                             f"{name!r} of {path})")


def _type_name(dtype: h5t.TypeID) -> str:
    names = {h5t.REFERENCE: "references (pointers to other objects)", h5t.VLEN: "variable-length sequences",
             h5t.COMPOUND: "compound records", h5t.OPAQUE: "opaque bytes", h5t.ARRAY: "array elements",
             h5t.STRING: "text", h5t.BITFIELD: "bit fields", h5t.TIME: "times"}
    return names.get(dtype.get_class(), f"type class {dtype.get_class()}")
