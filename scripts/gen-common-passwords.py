#!/usr/bin/env python3
"""Regenerates src/identity/data/common-passwords.txt: passwords of 12+ characters that
people commonly choose (common French and English words and first names with the usual
suffixes, doubled words, keyboard walks, digit runs). Deterministic; run by hand when the
word lists change. The password policy also rejects by rule (one repeated character,
simple sequences, the login or the person's names)."""
import itertools, pathlib

words = """password motdepasse azerty qwerty soleil bonjour doudou chouchou marseille paris loulou
nicolas julien camille thomas amour jetaime iloveyou princesse football chocolat coucou
liverpool arsenal dragon monkey letmein welcome admin sunshine master shadow superman batman
baseball michael jennifer charlie jordan hunter ranger buster thunder tigger summer winter
liberte freedom whatever computer internet secret bienvenue carnet sante santecarnet
mamanpapa maman papa famille bebe cheval chaton chien minou nounours poupette pompier
lolita fripouille cocotte doudoune vacances soleil123 olympique psg parisien lyon lille
toulouse bordeaux nantes strasbourg montpellier france republique orange free sfr bouygues
juliette emma louise jade alice chloe lina rose anna mila lea manon lucas hugo louis nathan
gabriel arthur jules adam raphael leo paul ethan tom noah sacha maxime antoine alexandre
pierre jean marie sophie isabelle nathalie sylvie catherine philippe christophe frederic
stephane sebastien laurent olivier david eric patrick pascal thierry vincent""".split()
suffixes = ["", "1", "12", "123", "1234", "12345", "123456", "!", "123!", "@123", "01", "007",
            "2020", "2021", "2022", "2023", "2024", "2025", "2026", "1990", "2000", "69", "13", "75"]
out = set()
for w in words:
    for form in {w, w.capitalize(), w.upper()}:
        for s in suffixes:
            for cand in (form + s, form + form + s, s + form):
                if len(cand) >= 12:
                    out.add(cand)
walks = ["azertyuiop", "qwertyuiop", "azertyuiopqsdfghjklm", "qwertyuiopasdfghjkl", "1qaz2wsx3edc",
         "1q2w3e4r5t6y", "a1z2e3r4t5y6", "zaq12wsxcde3", "qazwsxedcrfv", "azerqsdfwxcv", "poiuytreza",
         "mlkjhgfdsq", "wxcvbn", "qsdfghjklm", "asdfghjkl", "zxcvbnm"]
for w in walks:
    for s in ["", "123", "1234", "123456", "!", "2024", "2025"]:
        for form in {w + s, (w + w + s)}:
            if len(form) >= 12:
                out.add(form)
digits = "12345678901234567890"
for n in range(12, 17):
    out.add(digits[:n]); out.add("0123456789012345"[:n]); out.add("9876543210987654"[:n])
    for d in "0123456789":
        out.add(d * n)
    for pat in ["12", "123", "1234", "12345", "123456", "69", "007", "2000"]:
        out.add((pat * 10)[:n])
pathlib.Path(__file__).resolve().parent.parent.joinpath("src/identity/data/common-passwords.txt").write_text(
    "".join(p + "\n" for p in sorted(out)))
print(len(out), "entries")
