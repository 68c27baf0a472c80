"""Answering yes/no questions about an animal: "does it fly?", "est-ce qu'il a des rayures ?"."""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import Enum

from embedded.llm.games.animals import ANIMALS, Animal
from embedded.llm.text import fold, has_any, with_digits


class Answer(Enum):
    YES = "yes"
    NO = "no"
    UNSURE = "unsure"  # the question is understood, but has no clear answer


Test = Callable[[Animal], bool]


def _has(trait: str) -> Test:
    return lambda animal: trait in animal.traits


def _kind(kind: str) -> Test:
    return lambda animal: animal.kind == kind


# Weight thresholds for "is it big / small": a dog is neither, a horse is big.
_BIG_KG = 100
_SMALL_KG = 5

# (phrases, test): the first rule with a phrase in the question answers it, so specific
# wordings come before general ones ("long neck" before "neck", "wings" before "fly").
_RULES: tuple[tuple[tuple[str, ...], Test], ...] = (
    # What it eats, before the class names those words also are.
    (("eat fish", "eats fish", "eat insects", "eats insects", "eat bugs", "mange du poisson",
      "mange des poissons", "mange des insectes"), _has("meat")),
    (("mammal", "mammals", "mammifere", "mammiferes"), _kind("mammal")),
    (("bird", "birds", "oiseau", "oiseaux"), _kind("bird")),
    (("fish", "poisson"), _kind("fish")),
    (("reptile", "reptiles"), _kind("reptile")),
    (("amphibian", "amphibien"), _kind("amphibian")),
    (("insect", "insects", "bug", "insecte", "insectes"), _kind("insect")),
    (("arachnid", "arachnide"), _kind("arachnid")),
    (("mollusc", "mollusk", "mollusque"), _kind("mollusc")),
    (("no legs", "without legs", "sans pattes", "pas de pattes"), lambda a: a.legs == 0),
    (("legs", "leg", "pattes", "patte", "jambes", "feet", "pieds"), lambda a: a.legs > 0),
    (("wings", "wing", "ailes", "aile"), _has("wings")),
    (("fly", "flies", "flying", "vole", "voler", "volent"), _has("flies")),
    (("swim", "swims", "swimming", "nage", "nager"), _has("swims")),
    (("ocean", "sea", "mer", "ocean", "oceans"), _has("ocean")),
    (("water", "river", "lake", "eau", "riviere", "lac", "aquatic", "aquatique"),
     _has("water")),
    (("fur", "furry", "hair", "hairy", "fourrure", "poils", "poilu"), _has("fur")),
    (("feathers", "feather", "plumes", "plume"), _has("feathers")),
    (("scales", "ecailles"), _has("scales")),
    (("shell", "carapace", "coquille"), _has("shell")),
    (("spines", "spikes", "prickly", "quills", "piquants", "epines", "pique"), _has("spines")),
    (("stripes", "striped", "rayures", "raye", "rayee"), _has("stripes")),
    (("spots", "spotted", "taches", "tachete", "tachetee"), _has("spots")),
    (("pet", "pets", "domestic", "at home", "in a house", "compagnie", "domestique",
      "a la maison"), _has("pet")),
    (("farm", "ferme"), _has("farm")),
    (("wild", "sauvage"), lambda a: "pet" not in a.traits and "farm" not in a.traits),
    (("meat", "carnivore", "hunt", "hunts", "predator", "viande", "chasse", "predateur",
      "carnivores"), _has("meat")),
    (("plants", "grass", "herbivore", "vegetarian", "leaves", "fruit", "herbe", "plantes",
      "vegetarien", "feuilles"), _has("plants")),
    (("eggs", "egg", "oeufs", "oeuf", "pond"), _has("eggs")),
    (("africa", "afrique"), _has("africa")),
    (("asia", "asie"), _has("asia")),
    (("australia", "australie"), _has("australia")),
    (("jungle",), _has("jungle")),
    (("forest", "woods", "foret", "bois"), _has("forest")),
    (("desert",), _has("desert")),
    (("mountains", "mountain", "montagne", "montagnes"), _has("mountains")),
    (("cold", "arctic", "snow", "ice", "polar", "froid", "neige", "glace", "banquise",
      "pole"), _has("cold")),
    (("night", "nocturnal", "nuit", "nocturne"), _has("nocturnal")),
    (("dangerous", "bite", "deadly", "sting", "dangereux", "dangereuse", "mord"),
     _has("dangerous")),
    (("fast", "quick", "rapide", "vite"), _has("fast")),
    (("slow", "lent", "lente"), _has("slow")),
    (("horns", "horn", "antlers", "cornes", "corne"), _has("horns")),
    (("hooves", "hoof", "sabots"), _has("hooves")),
    (("long neck", "long cou"), _has("long_neck")),
    (("trunk", "trompe"), _has("trunk")),
    (("tusks", "defenses"), _has("tusks")),
    (("tail", "queue"), _has("tail")),
    (("mane", "criniere"), _has("mane")),
    (("pouch", "poche"), _has("pouch")),
    (("hump", "humps", "bosse", "bosses"), _has("hump")),
    (("garden", "gardens", "park", "jardin", "jardins", "parc"), _has("garden")),
    (("honey", "miel"), _has("honey")),
    (("web", "toile"), _has("web")),
    (("long ears", "grandes oreilles", "longues oreilles"), _has("long_ears")),
    (("whiskers", "moustaches"), _has("whiskers")),
    (("jump", "jumps", "hop", "hops", "saute", "sauter", "bondit"), _has("hops")),
    (("climb", "climbs", "trees", "grimpe", "grimper", "arbres"), _has("climbs")),
    (("black", "noir", "noire"), _has("black")),
    (("white", "blanc", "blanche"), _has("white")),
    (("gray", "grey", "gris", "grise"), _has("gray")),
    (("brown", "marron", "brun", "brune"), _has("brown")),
    (("orange",), _has("orange")),
    (("green", "vert", "verte"), _has("green")),
    (("pink", "rose"), _has("pink")),
    (("yellow", "jaune"), _has("yellow")),
    (("blue", "bleu", "bleue"), _has("blue")),
    (("colorful", "colourful", "colore", "coloree"), _has("colorful")),
    (("big", "large", "huge", "giant", "heavy", "grand", "grande", "gros", "grosse",
      "enorme", "lourd"), lambda a: a.weight_kg >= _BIG_KG),
    (("small", "little", "tiny", "light", "petit", "petite", "minuscule", "leger"),
     lambda a: a.weight_kg < _SMALL_KG),
    (("medium", "moyen", "moyenne"), lambda a: _SMALL_KG <= a.weight_kg < _BIG_KG),
    (("extinct", "dinosaur", "disparu", "dinosaure"), lambda a: False),
)  # fmt: skip

_REFERENCE_KG = {
    "human": 70, "person": 70, "man": 70, "me": 70, "you": 70, "adult": 70, "humain": 70,
    "homme": 70, "personne": 70, "moi": 70, "toi": 70, "child": 30, "kid": 30, "enfant": 30,
    "car": 1200, "voiture": 1200, "bus": 12000, "house": 100000, "maison": 100000,
    "ball": 0.5, "ballon": 0.5, "hand": 0.5, "main": 0.5, "apple": 0.2, "pomme": 0.2,
}  # fmt: skip
_COMPARISON = re.compile(
    r"\b(?P<op>bigger|larger|heavier|taller|plus grand|plus grande|plus gros|plus grosse|"
    r"plus lourd|plus lourde|smaller|lighter|tinier|shorter|plus petit|plus petite|"
    r"plus leger|plus legere) (?:than|que|qu) (?:an? |the |un |une |le |la |l |les )?"
    r"(?P<ref>\w+(?: \w+)?)"
)
_BIGGER = ("bigger", "larger", "heavier", "taller", "plus grand", "plus grande", "plus gros",
           "plus grosse", "plus lourd", "plus lourde")  # fmt: skip
_LEGS = re.compile(r"\b(\d+) (?:legs|leg|pattes|jambes|feet|pieds|arms|bras)\b")


def answer_about(animal: Animal, question: str) -> Answer | None:
    """The truthful answer about `animal`, or None if the question is not understood."""
    folded = with_digits(fold(question))
    comparison = _COMPARISON.search(folded)
    if comparison is not None:
        reference = _reference_weight(comparison.group("ref"))
        if reference is None:
            return Answer.UNSURE
        bigger = animal.weight_kg > reference
        return _yes_no(bigger if comparison.group("op") in _BIGGER else not bigger)
    legs = _LEGS.search(folded)
    if legs is not None:
        return _yes_no(animal.legs == int(legs.group(1)))
    for phrases, test in _RULES:
        if has_any(folded, phrases):
            return _yes_no(test(animal))
    return None


def _yes_no(value: bool) -> Answer:
    return Answer.YES if value else Answer.NO


def _reference_weight(reference: str) -> float | None:
    for word in (reference, reference.split()[0]):
        if word in _REFERENCE_KG:
            return _REFERENCE_KG[word]
        for other in ANIMALS:
            if word in other.aliases:
                return other.weight_kg
    return None
