"""Evidence files: judged by their bytes, photos without EXIF/GPS, one file per content, kept
outside every served folder."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from bot.channels.files import MAX_BYTES, EvidenceStore, UnsupportedFile
from jiefen.settings import Settings


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (29.0, 43.0, 12.0), 3: "E", 4: (120.0, 14.0, 30.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_a_photo_loses_its_exif_and_gps(tmp_path: Path) -> None:
    original = _jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as image:
        assert image.getexif().get_ifd(0x8825)  # the test photo does carry a position
    stored = EvidenceStore(tmp_path).store(original, name="IMG_0001.jpg")
    assert (stored.kind, stored.mime_type, stored.name) == ("photo", "image/jpeg", "IMG_0001.jpg")
    data = Path(stored.path).read_bytes()
    assert b"Exif" not in data and b"PhoneMaker" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert not image.getexif() and image.size == (64, 48)
    assert stored.size == len(data)


def test_files_are_judged_by_content_not_by_name(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("setup.exe", b"MZ" + b"\0" * 64)
    for data, name in [
        (archive.getvalue(), "photo.jpg"),  # a zip calling itself a photo
        (b"MZ\x90\x00" + b"\0" * 200, "contract.pdf"),  # a Windows program
        ("欠条：今借到人民币六万元".encode(), "iou.txt"),  # no recognisable type
    ]:
        with pytest.raises(UnsupportedFile) as refused:
            store.store(data, name=name)
        assert refused.value.reason == "unknown_type"
    with pytest.raises(UnsupportedFile) as broken:
        store.store(b"\xff\xd8\xff\xe0" + b"\0" * 100, name="cut.jpg")  # a JPEG head only
    assert broken.value.reason == "broken_image"
    with pytest.raises(UnsupportedFile) as big:
        store.store(b"%PDF-1.4\n" + b"0" * MAX_BYTES, name="huge.pdf")
    assert big.value.reason == "too_big"
    assert _files(tmp_path) == []  # nothing refused was stored

    pdf = store.store(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n", name="x.txt")
    assert (pdf.kind, pdf.mime_type) == ("document", "application/pdf")
    assert Path(pdf.path).suffix == ".pdf"  # by content, not by the name it came with


def test_the_same_upload_twice_is_one_file(tmp_path: Path) -> None:
    """A platform's retry downloads the photo again before the dialogue sees the repeat."""
    store = EvidenceStore(tmp_path)
    photo = _jpeg_with_gps()
    first, again = store.store(photo), store.store(photo)
    assert first.path == again.path and first.sha256 == again.sha256
    other = store.store(_jpeg_with_gps().replace(b"PhoneMaker", b"PhoneMakeR"))
    assert other.path == first.path  # same pixels, only the (removed) EXIF differed
    assert _files(tmp_path) == [Path(first.path)]


def test_evidence_is_kept_outside_the_served_folders(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    web_folder = Path(__file__).resolve().parents[3] / "bot" / "channels" / "web"
    assert web_folder.is_dir()
    stored = EvidenceStore(settings.evidence_dir).store(_jpeg_with_gps())
    path = Path(stored.path).resolve()
    assert path.is_relative_to(settings.var_dir.resolve())
    assert not path.is_relative_to(web_folder)
