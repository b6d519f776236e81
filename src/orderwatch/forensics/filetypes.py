"""Content-signature file types, and whether a file's extension contradicts its content.

Detection reads only the head of a file (HEAD_SIZE bytes), so it works on a stream being hashed.
"""

from __future__ import annotations

from dataclasses import dataclass

HEAD_SIZE = 64 * 1024  # enough for ISO 9660's descriptor at 32 KiB and tar's magic at 257


@dataclass(frozen=True, slots=True)
class FileType:
    """A content type: its short name, its category and the extensions it normally carries."""

    name: str
    category: str  # image, video, audio, archive, document, executable, database, ...
    extensions: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Signature:
    offset: int
    magic: bytes
    type: FileType
    then: tuple[int, bytes] | None = None  # a second (offset, magic) that must also match


def _t(name: str, category: str, extensions: str) -> FileType:
    return FileType(name, category, frozenset(extensions.split()))


JPEG = _t("jpeg", "image", "jpg jpeg jpe jfif")
PNG = _t("png", "image", "png apng")
GIF = _t("gif", "image", "gif")
BMP = _t("bmp", "image", "bmp dib")
TIFF = _t("tiff", "image", "tif tiff dng cr2 nef arw orf rw2 pef srw")
WEBP = _t("webp", "image", "webp")
HEIF = _t("heif", "image", "heic heif avif hif")
PSD = _t("psd", "image", "psd psb")
MP4 = _t("mp4", "video", "mp4 m4v mov 3gp 3g2 m4a m4b f4v qt")
AVI = _t("avi", "video", "avi")
WAV = _t("wav", "audio", "wav")
MATROSKA = _t("matroska", "video", "mkv webm mka mk3d")
FLV = _t("flv", "video", "flv")
ASF = _t("asf", "video", "wmv wma asf")
MPEG = _t("mpeg", "video", "mpg mpeg vob m2v mpe")
MP3 = _t("mp3", "audio", "mp3")
OGG = _t("ogg", "audio", "ogg oga ogv opus spx")
FLAC = _t("flac", "audio", "flac")
PDF = _t("pdf", "document", "pdf ai")
RTF = _t("rtf", "document", "rtf doc")
OLE2 = _t("ole2", "document", "doc xls ppt msg msi db vsd pub dot xlt pot mpp")
ZIP = _t(
    "zip",
    "archive",
    "zip docx xlsx pptx docm xlsm pptm dotx odt ods odp odg jar apk aab epub xpi crx kmz ipa "
    "nupkg vsix whl appx msix 3mf cbz oxps xps",
)
RAR = _t("rar", "archive", "rar cbr")
SEVEN_ZIP = _t("7z", "archive", "7z")
GZIP = _t("gzip", "archive", "gz tgz")
BZIP2 = _t("bzip2", "archive", "bz2 tbz2 tbz")
XZ = _t("xz", "archive", "xz txz")
TAR = _t("tar", "archive", "tar")
CAB = _t("cab", "archive", "cab")
ISO = _t("iso9660", "disk_image", "iso")
EWF = _t("ewf", "disk_image", "e01 ex01 l01 lx01 s01")
VHD = _t("vhd", "disk_image", "vhd")
VHDX = _t("vhdx", "disk_image", "vhdx")
QCOW = _t("qcow", "disk_image", "qcow qcow2")
VMDK = _t("vmdk", "disk_image", "vmdk")
PE = _t("pe", "executable", "exe dll sys scr ocx cpl drv efi mui com ax acm tlb")
ELF = _t("elf", "executable", "so o ko elf bin axf prx")
MACHO = _t("macho", "executable", "dylib bundle")
CLASS = _t("java_class", "executable", "class")
SQLITE = _t("sqlite", "database", "sqlite sqlite3 db db3 sqlitedb")
REGF = _t("registry_hive", "system", "dat hiv hve")
EVTX = _t("evtx", "system", "evtx")
LNK = _t("lnk", "system", "lnk")
PCAP = _t("pcap", "capture", "pcap cap dmp")
PCAPNG = _t("pcapng", "capture", "pcapng")
LUKS = _t("luks", "encrypted", "luks img")
BITLOCKER = _t("bitlocker", "encrypted", "bek img")
KDBX = _t("keepass", "encrypted", "kdbx kdb")
PGP_ARMOR = _t("pgp_armored", "encrypted", "asc gpg pgp sig")
HTML = _t("html", "text", "html htm xhtml shtml mht mhtml")
XML = _t("xml", "text", "xml svg plist xsl xslt rss atom kml gpx config xaml")
TEXT = _t("text", "text", "")

_SIGNATURES: tuple[_Signature, ...] = (
    _Signature(0, b"\xff\xd8\xff", JPEG),
    _Signature(0, b"\x89PNG\r\n\x1a\n", PNG),
    _Signature(0, b"GIF87a", GIF),
    _Signature(0, b"GIF89a", GIF),
    _Signature(0, b"II*\x00", TIFF),
    _Signature(0, b"MM\x00*", TIFF),
    _Signature(0, b"RIFF", WEBP, (8, b"WEBP")),
    _Signature(0, b"RIFF", AVI, (8, b"AVI ")),
    _Signature(0, b"RIFF", WAV, (8, b"WAVE")),
    _Signature(4, b"ftypheic", HEIF),
    _Signature(4, b"ftypheix", HEIF),
    _Signature(4, b"ftypmif1", HEIF),
    _Signature(4, b"ftypmsf1", HEIF),
    _Signature(4, b"ftypavif", HEIF),
    _Signature(4, b"ftyp", MP4),
    _Signature(0, b"8BPS", PSD),
    _Signature(0, b"\x1aE\xdf\xa3", MATROSKA),
    _Signature(0, b"FLV\x01", FLV),
    _Signature(0, b"0&\xb2u\x8ef\xcf\x11", ASF),
    _Signature(0, b"\x00\x00\x01\xba", MPEG),
    _Signature(0, b"\x00\x00\x01\xb3", MPEG),
    _Signature(0, b"ID3", MP3),
    _Signature(0, b"OggS", OGG),
    _Signature(0, b"fLaC", FLAC),
    _Signature(0, b"%PDF-", PDF),
    _Signature(0, b"{\\rtf", RTF),
    _Signature(0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", OLE2),
    _Signature(0, b"PK\x03\x04", ZIP),
    _Signature(0, b"PK\x05\x06", ZIP),
    _Signature(0, b"PK\x07\x08", ZIP),
    _Signature(0, b"Rar!\x1a\x07", RAR),
    _Signature(0, b"7z\xbc\xaf'\x1c", SEVEN_ZIP),
    _Signature(0, b"\x1f\x8b\x08", GZIP),
    _Signature(0, b"BZh", BZIP2),
    _Signature(0, b"\xfd7zXZ\x00", XZ),
    _Signature(257, b"ustar", TAR),
    _Signature(0, b"MSCF\x00\x00\x00\x00", CAB),
    _Signature(0, b"EVF\x09\x0d\x0a\xff\x00", EWF),
    _Signature(0, b"EVF2\r\n\x81\x00", EWF),
    _Signature(0, b"LVF\x09\x0d\x0a\xff\x00", EWF),
    _Signature(0, b"conectix", VHD),
    _Signature(0, b"vhdxfile", VHDX),
    _Signature(0, b"QFI\xfb", QCOW),
    _Signature(0, b"KDMV", VMDK),
    _Signature(0, b"# Disk DescriptorFile", VMDK),
    _Signature(0, b"SQLite format 3\x00", SQLITE),
    _Signature(0, b"regf", REGF),
    _Signature(0, b"ElfFile\x00", EVTX),
    _Signature(0, b"L\x00\x00\x00\x01\x14\x02\x00", LNK),
    _Signature(0, b"\xd4\xc3\xb2\xa1", PCAP),
    _Signature(0, b"\xa1\xb2\xc3\xd4", PCAP),
    _Signature(0, b"\x0a\x0d\x0d\x0a", PCAPNG),
    _Signature(0, b"LUKS\xba\xbe", LUKS),
    _Signature(3, b"-FVE-FS-", BITLOCKER),
    _Signature(0, b"\x03\xd9\xa2\x9a", KDBX),
    _Signature(0, b"-----BEGIN PGP", PGP_ARMOR),
    _Signature(0, b"\x7fELF", ELF),
    _Signature(0, b"\xcf\xfa\xed\xfe", MACHO),
    _Signature(0, b"\xce\xfa\xed\xfe", MACHO),
    _Signature(0, b"\xfe\xed\xfa\xcf", MACHO),
    _Signature(0, b"\xca\xfe\xba\xbe", CLASS),
    _Signature(0, b"MZ", PE),
    _Signature(0x8001, b"CD001", ISO),
    _Signature(0, b"BM", BMP, (6, b"\x00\x00\x00\x00")),
)

_SIGNED_TYPES = tuple({s.type.name: s.type for s in _SIGNATURES}.values())
ALL_TYPES: tuple[FileType, ...] = (*_SIGNED_TYPES, HTML, XML, TEXT)
# Extension -> the types that normally carry it (an extension may belong to several).
_OWNERS: dict[str, frozenset[str]] = {}
for _type in ALL_TYPES:
    for _ext in _type.extensions:
        _OWNERS[_ext] = _OWNERS.get(_ext, frozenset()) | {_type.name}

_CATEGORY: dict[str, str] = {t.name: t.category for t in ALL_TYPES}
# Text under these categories' extensions is a contradiction; text named .dat or .db is common.
_MEDIA_OR_CONTAINER = frozenset({"image", "video", "audio", "archive", "disk_image"})

# Extensions that say nothing about content: media hidden under them is still flagged, nothing else.
NEUTRAL_EXTENSIONS = frozenset({"", "tmp", "temp", "part", "partial", "crdownload", "download"})
# Categories whose content under a foreign extension is the renaming the triage looks for.
_CONCEALABLE = frozenset({"image", "video", "archive", "encrypted", "disk_image"})
# Bytes that never occur in plain text (all C0 controls except \t \n \v \f \r and ESC).
_BINARY_BYTES = bytes(set(range(32)) - {9, 10, 11, 12, 13, 27})


# Signatures at offset 0 indexed by their first byte (one dict lookup instead of ~60 compares);
# the few at other offsets are always tried, in table order, after them.
_BY_FIRST_BYTE: dict[int, tuple[_Signature, ...]] = {}
for _sig in _SIGNATURES:
    if _sig.offset == 0:
        _BY_FIRST_BYTE[_sig.magic[0]] = (*_BY_FIRST_BYTE.get(_sig.magic[0], ()), _sig)
_AT_OFFSET = tuple(sig for sig in _SIGNATURES if sig.offset != 0)


def detect_type(head: bytes | memoryview) -> FileType | None:
    """The type named by the content's signature (or a plain-text guess), None when unknown.

    `head` is the start of the content (HEAD_SIZE bytes suffice); a memoryview avoids a copy.
    """
    if not head:
        return None
    found = _first_match(_BY_FIRST_BYTE.get(head[0], ()), head) or _first_match(_AT_OFFSET, head)
    return found or _text_type(head)


def _first_match(signatures: tuple[_Signature, ...], head: bytes | memoryview) -> FileType | None:
    for sig in signatures:
        end = sig.offset + len(sig.magic)
        if head[sig.offset : end] != sig.magic:
            continue
        if sig.then is not None:
            at, magic = sig.then
            if head[at : at + len(magic)] != magic:
                continue
        return sig.type
    return None


def _text_type(head: bytes | memoryview) -> FileType | None:
    sample = bytes(head[:4096])
    if not sample:
        return None
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return TEXT
    if b"\x00" in sample:  # most binary content has a NUL early: one memchr, no translate
        return None
    if sample.startswith(b"\xef\xbb\xbf"):
        sample = sample[3:]
    if sample.translate(None, _BINARY_BYTES) != sample:
        return None
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(sample) - 3:  # only a character cut at the end is forgiven
            return None
        text = sample[: error.start].decode("utf-8")
    lowered = text.lstrip()[:256].lower()
    if lowered.startswith(("<!doctype html", "<html")):
        return HTML
    if lowered.startswith("<?xml"):
        return XML
    return TEXT


def extension_of(path: str) -> str:
    """The lower-case extension without its dot ("" when none; a leading dot is not one)."""
    name = path.rpartition("/")[2]
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or not extension or " " in extension:
        return ""
    return extension.lower()


def extension_contradicts(extension: str, detected: FileType | None) -> bool:
    """Whether content of type `detected` contradicts a file name ending in `extension`.

    It does when another known type owns the extension (a ZIP named .jpg), or when media, archives
    or encrypted volumes sit under an extension that is not theirs (a JPEG named .dll or .dat).
    Unknown content, or content under its own or a neutral extension, never contradicts.
    """
    if detected is None or extension in detected.extensions:
        return False
    if detected.category == "text":
        owners = _OWNERS.get(extension, frozenset())
        return bool(owners) and all(_CATEGORY[o] in _MEDIA_OR_CONTAINER for o in owners)
    if extension in NEUTRAL_EXTENSIONS:
        return False
    if extension in _OWNERS:
        return True
    return detected.category in _CONCEALABLE


IMAGE_TYPES_DECODABLE = frozenset({"jpeg", "png", "gif", "bmp", "tiff", "webp"})
