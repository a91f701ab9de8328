-- 100,000 members with varied, partly accented names; every phone number
-- and street is shared by two of them (member i and member i + 50,000), as
-- a second account of the same person would be. Used by the members
-- benchmark and by scripts/bench_admin_list.py.
INSERT INTO users (email, password_hash, first_name, last_name, status, role, city, phone,
                   address, zipcode, member_since, created_at)
SELECT 'member' || i || '@example.org', '!',
       (ARRAY['Ada','Zoë','Émile','Grace','Jean-Luc','Anne','Søren','Joan','Ngozi','Hélène'])[1 + i % 10] || i % 997,
       (ARRAY['Lovelace','Ñúñez','Zola','Hopper','Picard','Brontë','Kierkegaard','Clarke','Okonjo','Dupont'])[1 + (i / 10) % 10] || i % 89,
       (ARRAY['active','active','active','expired','pending_validation','inactive'])[1 + i % 6]::userstatus,
       'member', 'Lyon',
       '+33 6 ' || lpad((i % 50000)::text, 8, '0'),
       (i % 50000) || ' rue de la République', '69002',
       now() - (i % 3650) * interval '1 day', now() - (i % 3650) * interval '1 day'
FROM generate_series(1, 100000) AS i;
