def test_each_person_lists_the_schools_they_belong_to(caller, make_school, make_trust):
    trust = make_trust()
    birch = make_school(trust=trust, name="Birch Academy")
    alder = make_school(trust=trust, name="Alder Primary")
    make_school(name="Elsewhere School")  # another trust
    lead = caller("trust_lead", trust=trust).get("/api/v1/schools").get_json()
    assert [s["name"] for s in lead] == ["Alder Primary", "Birch Academy"]
    assert lead[0]["urn"] == alder.urn and lead[0]["trust_id"] == trust.id
    staff = caller("staff", birch).get("/api/v1/schools").get_json()
    assert [s["id"] for s in staff] == [birch.id]
