import xml.etree.ElementTree as ET
from lxml import etree
def parse(data):
    root = ET.fromstring(data)
    t = etree.fromstring(data)
    return root, t
