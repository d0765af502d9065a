#!/usr/bin/python3
"""Writes Fashion-MNIST (the Debian package dataset-fashion-mnist) as an image folder, to try
`data.dataset: folder` on real images: OUT/train/<class>/NNNNN.png and OUT/test/<class>/...

    /usr/bin/python3 scripts/fmnist_to_folder.py OUT [--format png|jpg] [--limit N]

Needs python3-opencv and python3-numpy (scripts/setup.sh installs them)."""
import argparse
import gzip
import os

import cv2
import numpy as np

CLASSES = ["T-shirt-top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
SOURCE = "/usr/share/datasets/fashion-mnist"


def read_idx(name, offset):
    with gzip.open(os.path.join(SOURCE, name), "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def write_part(out, part, prefix, fmt, limit):
    images = read_idx(prefix + "-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
    labels = read_idx(prefix + "-labels-idx1-ubyte.gz", 8)
    count = len(labels) if limit == 0 else min(limit, len(labels))
    for name in CLASSES:
        os.makedirs(os.path.join(out, part, name), exist_ok=True)
    for i in range(count):
        path = os.path.join(out, part, CLASSES[labels[i]], "%05d.%s" % (i, fmt))
        if not cv2.imwrite(path, images[i]):
            raise SystemExit("cannot write " + path)
    print("%s: %d images in %s" % (part, count, os.path.join(out, part)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--format", choices=["png", "jpg"], default="png")
    parser.add_argument("--limit", type=int, default=0, help="images per part; 0 = all")
    args = parser.parse_args()
    write_part(args.out, "train", "train", args.format, args.limit)
    write_part(args.out, "test", "t10k", args.format, args.limit)


if __name__ == "__main__":
    main()
